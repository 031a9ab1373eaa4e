package org.xenpostcopy.migration.source;

import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.peer.Completion;
import org.xenpostcopy.migration.report.MigrationReport;

/**
 * Builds one migration's report from what the source measured and what the destination's completion record
 * says. The source's clock runs from the start to the switch; the post-copy span is the destination's own.
 */
final class ReportBuilder {
    private final MigrationOptions options;
    private final int sourceDomid;
    private final long vmPages;
    private long startedAt;
    private double baseline = -1;
    private long freeAtStart = -1;

    /**
     * @param vmPages the guest's memory, not its physmap span: on real Xen the span also covers the MMIO hole and
     *                the special pages below 4 GiB, which were never RAM and are not "skipped"
     */
    ReportBuilder(MigrationOptions options, int sourceDomid, long vmPages) {
        this.options = options;
        this.sourceDomid = sourceDomid;
        this.vmPages = vmPages;
    }

    void started(long nanos) {
        startedAt = nanos;
    }

    /** Guest operations per second before the migration (-1 unknown). */
    void baseline(double opsPerSecond) {
        baseline = opsPerSecond;
    }

    /** Pages free inside the guest at the start, as its balloon driver reported (-1 unknown). */
    void freeAtStart(long pages) {
        freeAtStart = pages;
    }

    MigrationReport build(SourceSwitch.Switched sw, int rounds, int destinationDomid, long pagesSent, long bytesSent,
                          Completion done, int cuts, double pausedMs, long pagesResent, CheckpointStore checkpoints) {
        MigrationMode mode = options.mode();
        double prepareMs = (sw.pausedAt() - startedAt) / 1e6;
        double downtimeMs = sw.downtimeNanos() / 1e6;
        double postCopyMs = done.postCopyNanos() / 1e6;
        double during = -1;
        if (done.guestOpsAtCompletion() >= 0 && done.postCopyNanos() > 0) {
            during = (done.guestOpsAtCompletion() - done.guestOpsAtResume()) / (done.postCopyNanos() / 1e9);
        }
        long populatedAtSwitch = sw.holes().size() - sw.holes().cardinality();
        Completion.Latency l = done.faultLatency();
        return new MigrationReport(mode.wireName(),
                mode == MigrationMode.PRECOPY ? "none" : options.prepaging().wireName(), options.dsb(), vmPages,
                prepareMs + downtimeMs + postCopyMs, downtimeMs, pagesSent, bytesSent + sw.vcpuBytes(),
                done.duplicatePages(), Math.max(0, vmPages - populatedAtSwitch), freeAtStart, done.networkFaults(),
                done.minorFaults(), done.guestPagesTouched(),
                MigrationReport.networkFaultRatio(done.networkFaults(), done.guestPagesTouched()),
                new MigrationReport.FaultLatency(l.p50Us(), l.p99Us(), l.maxUs()), baseline, during, done.verified(),
                done.mismatchedPages(), done.verificationNote(), prepareMs, postCopyMs, sourceDomid, destinationDomid,
                rounds + (sw.stopAndCopy() ? 1 : 0), new MigrationReport.Recovery(cuts, pausedMs, pagesResent,
                checkpoints == null ? 0 : checkpoints.commits(), checkpoints == null ? 0 : checkpoints.pagesReceived(),
                checkpoints == null ? 0 : checkpoints.bytesReceived(), done.checkpointPauseMs(),
                done.checkpointsDeferred()));
    }
}
