package org.xenpostcopy.migration.control;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Objects;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.report.MigrationReport;

/** The state of one migration a daemon runs for a client: its progress, then its report or its error. */
final class MigrationTracker implements MigrationProgress {
    private static final Logger LOG = System.getLogger(MigrationTracker.class.getName());

    private final String name;
    private String phase = "starting";
    private long done;
    private long total;
    private long faults;
    private long version;
    private MigrationReport report;
    private String error;

    /** {@code name} says which migration the daemon's log lines are about. */
    MigrationTracker(String name) {
        this.name = name;
    }

    /** Progress for the client; each new phase also goes to the daemon's log, so a stalled migration shows where. */
    @Override
    public synchronized void update(String phase, long pagesDone, long pagesTotal, long networkFaults) {
        if (!Objects.equals(phase, this.phase)) {
            LOG.log(Level.INFO, "{0}: {1} ({2} pages to go in it)", name, phase, pagesTotal - pagesDone);
        }
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
