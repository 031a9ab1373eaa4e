package org.xenpostcopy.migration.control;

import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.report.MigrationReport;

/** The state of one migration a daemon runs for a client: its progress, then its report or its error. */
final class MigrationTracker implements MigrationProgress {
    private String phase = "starting";
    private long done;
    private long total;
    private long faults;
    private long version;
    private MigrationReport report;
    private String error;

    @Override
    public synchronized void update(String phase, long pagesDone, long pagesTotal, long networkFaults) {
        this.phase = phase;
        this.done = pagesDone;
        this.total = pagesTotal;
        this.faults = networkFaults;
        version++;
        notifyAll();
    }

    synchronized void finished(MigrationReport r) {
        report = r;
        phase = "done";
        version++;
        notifyAll();
    }

    synchronized void failed(String why) {
        error = why;
        phase = "failed";
        version++;
        notifyAll();
    }

    /** Waits up to {@code waitMs} for anything to change after {@code seen}; returns a snapshot. */
    synchronized Snapshot await(long seen, long waitMs) throws InterruptedException {
        long deadline = System.nanoTime() + waitMs * 1_000_000L;
        while (version == seen && report == null && error == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            wait(Math.max(1, left / 1_000_000L));
        }
        return new Snapshot(phase, done, total, faults, version, report, error);
    }

    record Snapshot(String phase, long done, long total, long faults, long version, MigrationReport report, String error) {
        boolean finished() {
            return report != null || error != null;
        }
    }
}
