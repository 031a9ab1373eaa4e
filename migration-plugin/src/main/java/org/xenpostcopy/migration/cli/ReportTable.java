package org.xenpostcopy.migration.cli;

import java.util.ArrayList;
import java.util.List;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.report.MigrationReport;

/** The migration report as a short aligned table for people (--json gives the object itself). */
final class ReportTable {
    private ReportTable() {
    }

    static String format(MigrationReport r) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"mode", r.mode() + (r.mode().equals("precopy") ? "" : " (" + policy(r.prepaging()) + ")")
                + (r.dsb() ? " + DSB" : "")});
        rows.add(new String[] {"domain", "dom" + r.sourceDomain() + " -> dom" + r.destinationDomain()});
        rows.add(new String[] {"verified", r.verified() ? "yes, " + r.mismatchedPages() + " mismatched pages"
                : "NO: " + r.verificationNote()});
        rows.add(new String[] {"downtime", String.format("%.2f ms%s", r.downtimeMs(), "pause-unpause".equals(
                r.downtimeFrom()) ? " (pause call to unpause: the hosts could not tell the guest's own instants)" : "")});
        rows.add(new String[] {"total time", String.format("%.0f ms (prepare %.0f, post-copy %.0f)", r.totalMigrationMs(),
                r.prepareMs(), r.postCopyMs())});
        rows.add(new String[] {"pages sent", String.format("%d of %d", r.pagesTransferred(), r.vmPages())});
        rows.add(new String[] {"on the wire", String.format("%s at the sockets (%s to the destination, %s back)",
                size(r.bytesTransferred()), size(r.bytesToDestination()), size(r.bytesToSource()))});
        if (r.rounds() > 0) {
            rows.add(new String[] {"pre-copy rounds", Long.toString(r.rounds())});
        }
        rows.add(new String[] {"ballooned, not sent", r.pagesSkippedBallooned() + " pages"
                + (r.pagesFreeAtStart() >= 0 ? " (guest had " + r.pagesFreeAtStart() + " free)" : "")});
        rows.add(new String[] {"network faults", r.networkFaults() + (r.networkFaultRatio() >= 0
                ? String.format(" (%.1f%% of %d pages the guest touched)", 100.0 * r.networkFaultRatio(),
                r.guestPagesTouched()) : "")});
        if (r.minorFaults() >= 0) {
            rows.add(new String[] {"minor faults", r.minorFaults() + " (first touches of pre-paged pages)"});
        }
        if (r.networkFaults() > 0 || r.minorFaults() > 0) {
            rows.add(new String[] {"fault latency", r.faultLatencyUs() == null || !r.faultLatencyUs().known()
                    ? "unknown (the host cannot tell how long a vCPU stayed blocked)"
                    : percentiles(r.faultLatencyUs()) + " (vCPU blocked)"});
            if (r.pagerLatencyUs() != null) {
                rows.add(new String[] {"pager latency", percentiles(r.pagerLatencyUs()) + " (ring to answer)"});
            }
        }
        if (r.appThroughputBaseline() >= 0) {
            rows.add(new String[] {"guest throughput", String.format("%.0f ops/s before, %.0f ops/s during post-copy",
                    r.appThroughputBaseline(), r.appThroughputDuring())});
        }
        MigrationReport.Recovery cut = r.recovery();
        if (cut != null && cut.cuts() > 0) {
            // Only when it happened: a migration across a healthy link prints what it always printed.
            rows.add(new String[] {"link cuts", String.format("%d, paused %.0f ms in all, %d pages sent again",
                    cut.cuts(), cut.pausedMs(), cut.pagesResent())});
        }
        if (cut != null && (cut.checkpoints() > 0 || cut.checkpointsDeferred() > 0)) {
            rows.add(new String[] {"checkpoints", String.format("%d committed (%d pages, %.1f MB), guest paused %.1f ms"
                    + " for them%s", cut.checkpoints(), cut.checkpointPages(), cut.checkpointBytes() / 1e6,
                    cut.checkpointPauseMs(), cut.checkpointsDeferred() > 0 ? ", " + cut.checkpointsDeferred()
                    + " put off (the guest dirtied too fast for a short pause)" : "")});
        }
        int width = rows.stream().mapToInt(row -> row[0].length()).max().orElse(0);
        StringBuilder sb = new StringBuilder();
        for (String[] row : rows) {
            sb.append(String.format("%-" + width + "s  %s%n", row[0], row[1]));
        }
        return sb.toString();
    }

    /** MB, or kB for what would read 0.0 MB (the way back often carries only requests). */
    private static String size(long bytes) {
        return bytes >= 100_000 ? String.format("%.1f MB", bytes / 1e6) : String.format("%.1f kB", bytes / 1e3);
    }

    private static String percentiles(MigrationReport.FaultLatency l) {
        return String.format("p50 %.0f us, p99 %.0f us, max %.0f us", l.p50(), l.p99(), l.max());
    }

    /** The policy's name and, for people, what it is. */
    private static String policy(String name) {
        PrePaging p = PrePaging.fromReport(name);
        return p == null ? name : name + ": " + p.description();
    }
}
