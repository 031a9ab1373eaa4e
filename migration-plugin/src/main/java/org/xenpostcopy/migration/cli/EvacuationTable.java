package org.xenpostcopy.migration.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.xenpostcopy.migration.evacuation.EvacuationReport;
import org.xenpostcopy.migration.evacuation.GuestOutcome;

/** An evacuation's report as an aligned table for people, one row per guest, then why any guest stayed. */
final class EvacuationTable {
    private EvacuationTable() {
    }

    static String format(EvacuationReport r) {
        List<String[]> rows = new ArrayList<>();
        // "waited" is the part of "total" the guest spent queued for a turn at the link, so a small guest that went
        // last does not look slow.
        rows.add(new String[] {"guest", "size", "to", "outcome", "total", "waited", "downtime", "pages sent",
            "verified"});
        for (GuestOutcome o : r.outcomes()) {
            boolean moved = o.report().isPresent();
            rows.add(new String[] {o.guest().name(), o.guest().sizeKiB() / 1024 + " MiB",
                    o.destination().isEmpty() ? "-" : o.destination(), o.result().wireName(),
                    moved ? String.format(Locale.ROOT, "%.1f s", o.report().get().totalMigrationMs() / 1000) : "-",
                    moved ? String.format(Locale.ROOT, "%.1f s", o.report().get().linkWaitMs() / 1000) : "-",
                    moved ? String.format(Locale.ROOT, "%.1f ms", o.report().get().downtimeMs()) : "-",
                    moved ? Long.toString(o.report().get().pagesTransferred()) : "-",
                    moved ? (o.verified() ? "yes" : "NO") : "-"});
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
        long moved = r.outcomes().stream().filter(o -> o.result() == GuestOutcome.Result.MOVED).count();
        sb.append(String.format(Locale.ROOT, "moved %d of %d guests off %s in %.1f s (%d at a time), %.1f MB on the wire%n",
                moved, r.outcomes().size(), r.host(), r.totalMs() / 1000, r.parallel(), r.bytesTransferred() / 1e6));
        for (GuestOutcome o : r.outcomes()) {
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
}
