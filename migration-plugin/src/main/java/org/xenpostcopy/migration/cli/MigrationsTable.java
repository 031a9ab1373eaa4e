package org.xenpostcopy.migration.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.xenpostcopy.migration.evacuation.GuestOutcome;
import org.xenpostcopy.migration.evacuation.LinkShare;
import org.xenpostcopy.migration.report.MigrationReport;

/**
 * Migrations that ran at once, as an aligned table for people: a row per migration with its rate at the socket and
 * its guest's fault latency, then how evenly they shared the links, then why any failed.
 */
final class MigrationsTable {
    private MigrationsTable() {
    }

    /** @param sourceOf the host each guest left, by guest name; {@code share} null if none moved */
    static String format(List<GuestOutcome> outcomes, UnaryOperator<String> sourceOf, LinkShare share, int parallel,
                         double totalMs) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"guest", "from", "to", "outcome", "pages", "MB/s", "fault p50", "fault p99", "total",
                "verified"});
        for (GuestOutcome o : outcomes) {
            String g = o.guest().name();
            if (o.report().isEmpty()) {
                rows.add(new String[] {g, sourceOf.apply(g), o.destination(), o.result().wireName(), "-", "-", "-", "-",
                        "-", "-"});
                continue;
            }
            MigrationReport r = o.report().get();
            rows.add(new String[] {g, sourceOf.apply(g), o.destination(), o.result().wireName(),
                    Long.toString(r.pagesTransferred()), String.format(Locale.ROOT, "%.1f", LinkShare.rateMBps(r)),
                    micros(r.faultLatencyUs().p50()), micros(r.faultLatencyUs().p99()),
                    String.format(Locale.ROOT, "%.1f s", r.totalMigrationMs() / 1000), o.verified() ? "yes" : "NO"});
        }
        int[] width = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(String.format("%-" + width[i] + "s  ", row[i]));
            }
            sb.append(line.toString().stripTrailing()).append(System.lineSeparator());
        }
        long verified = outcomes.stream().filter(GuestOutcome::verified).count();
        sb.append(String.format(Locale.ROOT, "%d of %d migrations verified in %.1f s (%d at a time)%n", verified,
                outcomes.size(), totalMs / 1000, parallel));
        if (share != null) {
            sb.append(String.format(Locale.ROOT, "rates: min %.1f, median %.1f, max %.1f MB/s; Jain's index %.3f, "
                    + "of fair shares %.3f; by sending host: %s%n", share.minMBps(), share.medianMBps(), share.maxMBps(),
                    share.jain(), share.jainOfShares(), share.jainBySender().entrySet().stream()
                            .map(e -> String.format(Locale.ROOT, "%s %.3f", e.getKey(), e.getValue()))
                            .collect(Collectors.joining(", "))));
        }
        for (GuestOutcome o : outcomes) {
            if (!o.reason().isEmpty()) {
                sb.append(o.guest().name()).append(": ").append(o.result().wireName()).append(": ").append(o.reason())
                        .append(System.lineSeparator());
            } else if (!o.verified() && o.report().isPresent()) {
                sb.append(o.guest().name()).append(": not verified: ").append(o.report().get().verificationNote())
                        .append(System.lineSeparator());
            }
        }
        return sb.toString();
    }

    private static String micros(double us) {
        return us < 0 ? "-" : us >= 10_000 ? String.format(Locale.ROOT, "%.1f ms", us / 1000)
                : String.format(Locale.ROOT, "%.0f us", us);
    }
}
