package org.xenpostcopy.migration.source;

import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.peer.Completion;
import org.xenpostcopy.migration.peer.WireBytes;
import org.xenpostcopy.migration.report.MigrationReport;

/**
 * Builds one migration's report from what the source measured and what the destination's completion record
 * says. The total runs on the source's clock, from the start to the completion's arrival; the post-copy span and
 * the guest's side of the downtime are the destination's own.
 */
final class ReportBuilder {
    private final MigrationOptions options;
    private final int sourceDomid;
    private final long vmPages;
    private long startedAt;
    private double baseline = -1;
    private long freeAtStart = -1;
    private long prepareNanos;
    private long linkWaitNanos;

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

    /** The migration waited this long for its turn at the link (part of the total, before the prepare). */
    void waitedForLink(long nanos) {
        linkWaitNanos = nanos;
    }

    /** The prepare call took this long: the destination creating the domain. */
    void prepared(long nanos) {
        prepareNanos = nanos;
    }

    /**
     * @param sourceWire  what the connections the source opened carried (the destination's own are in {@code done})
     * @param completedAt when the destination's completion reached the source
     */
    MigrationReport build(SourceSwitch.Switched sw, int rounds, int destinationDomid, long pagesSent,
                          WireBytes sourceWire, Completion done, long completedAt, int cuts, double pausedMs,
                          long pagesResent, CheckpointStore checkpoints) {
        MigrationMode mode = options.mode();
        double firstRanMs = done.guest().firstRanMs();
        double downtimeMs = sw.downtimeNanos(firstRanMs) / 1e6;
        double postCopyMs = done.postCopyNanos() / 1e6;
        double during = -1;
        if (done.guestOpsAtCompletion() >= 0 && done.postCopyNanos() > 0) {
            during = (done.guestOpsAtCompletion() - done.guestOpsAtResume()) / (done.postCopyNanos() / 1e9);
        }
        long populatedAtSwitch = sw.holes().size() - sw.holes().cardinality();
        long toDestination = sourceWire.sent() + done.wire().toDestination();
        long toSource = sourceWire.received() + done.wire().toSource();
        return new MigrationReport(mode.wireName(),
                mode == MigrationMode.PRECOPY ? "none" : options.prepaging().wireName(), options.dsb(), vmPages,
                (completedAt - startedAt) / 1e6, downtimeMs,
                sw.downtimeFromGuest(firstRanMs) ? "guest" : "pause-unpause", pagesSent, toDestination + toSource,
                toDestination, toSource, done.duplicatePages(), Math.max(0, vmPages - populatedAtSwitch), freeAtStart,
                done.networkFaults(), done.minorFaults(), done.guestPagesTouched(),
                MigrationReport.networkFaultRatio(done.networkFaults(), done.guestPagesTouched()),
                latency(done.guest().vcpuBlocked()), latency(done.faultLatency()), baseline, during, done.verified(),
                done.mismatchedPages(), done.verificationNote(), prepareNanos / 1e6, postCopyMs, sourceDomid,
                destinationDomid, rounds + (sw.stopAndCopy() ? 1 : 0), new MigrationReport.Recovery(cuts, pausedMs,
                pagesResent, checkpoints == null ? 0 : checkpoints.commits(),
                checkpoints == null ? 0 : checkpoints.pagesReceived(),
                checkpoints == null ? 0 : checkpoints.bytesReceived(), done.checkpointPauseMs(),
                done.checkpointsDeferred()),
                pagerWaits(done.pagerWaits()), linkWaitNanos / 1e6);
    }

    private static MigrationReport.PagerWaits pagerWaits(Completion.PagerWaits w) {
        return new MigrationReport.PagerWaits(waits(w.byFetch()), waits(w.byPush()), waits(w.alreadyHere()));
    }

    private static MigrationReport.Waits waits(Completion.Waits w) {
        return new MigrationReport.Waits(w.requests(), latency(w.latency()));
    }

    private static MigrationReport.FaultLatency latency(Completion.Latency l) {
        return l == null ? MigrationReport.FaultLatency.UNKNOWN
                : new MigrationReport.FaultLatency(l.p50Us(), l.p99Us(), l.maxUs());
    }
}
