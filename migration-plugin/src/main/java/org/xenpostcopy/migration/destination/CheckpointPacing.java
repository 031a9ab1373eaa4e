package org.xenpostcopy.migration.destination;

/**
 * When the next reverse checkpoint may start, and whether one may pause the guest: the rules that keep
 * checkpoints cheap for the guest and never too old for a fail-back. Arithmetic on {@link System#nanoTime()}
 * instants the caller passes, so the rules are tested without a clock.
 */
final class CheckpointPacing {
    /**
     * What taking checkpoints costs the guest — its pause, and the live copying beside it, when each of its first
     * writes to a page traps to Xen for log-dirty — may be one part in this of its time at most.
     */
    static final long GUEST_SHARE = 20;
    /**
     * All of the taking, the hole map's read included, may keep dom0 busy one part in this of the time at most.
     * The read costs the guest nothing, but it is one call per 1024 gfns: 15 s a checkpoint on the real-Xen lab's
     * emulated dom0 (run 21), which counted against the guest's share spaced checkpoints 340 s apart.
     */
    static final long TAKE_SHARE = 2;
    /**
     * A checkpoint may pause the guest for a twentieth of the interval: one whose pause would be longer (a guest
     * that dirties pages faster than they are copied) is put off — unless none has been committed for this many
     * intervals; then it is taken whatever it costs, so the copy a fail-back restores is never older than that.
     */
    static final long OVERDUE_INTERVALS = 60;

    private final long intervalNanos;

    CheckpointPacing(long intervalNanos) {
        if (intervalNanos <= 0) {
            throw new IllegalArgumentException("checkpoint interval " + intervalNanos + " ns");
        }
        this.intervalNanos = intervalNanos;
    }

    long intervalNanos() {
        return intervalNanos;
    }

    /** Whether no checkpoint has been committed for {@link #OVERDUE_INTERVALS} intervals. */
    boolean overdue(long now, long lastCommitAt) {
        return now - lastCommitAt > OVERDUE_INTERVALS * intervalNanos;
    }

    /** Whether a pause of about {@code pauseEstimate} may be taken now, or the checkpoint is put off. */
    boolean mayPause(long pauseEstimate, long now, long lastCommitAt) {
        return pauseEstimate <= intervalNanos / GUEST_SHARE || overdue(now, lastCommitAt);
    }

    /**
     * After a try that ran from {@code t0} to {@code t1}, {@code holeMapNanos} of it reading the hole map while the
     * guest ran: the earliest the next may start, no sooner than {@code next}. What the try cost the guest may be
     * 1/{@link #GUEST_SHARE} of the time, all of it 1/{@link #TAKE_SHARE} of dom0's. A guest that dirties more than
     * that allows is checkpointed less often, not slowed more. Failed tries are spaced so too, and not held to the
     * overdue point: trying again at once would only repeat the failure.
     */
    long spaced(long next, long t0, long t1, long holeMapNanos) {
        long guestNanos = t1 - t0 - holeMapNanos;
        return Math.max(next, t1 + Math.max((GUEST_SHARE - 1) * guestNanos, (TAKE_SHARE - 1) * (t1 - t0)));
    }

    /**
     * After a try that committed a checkpoint or was put off: as {@link #spaced}, but never past the point where the
     * next is overdue and taken whatever it costs, so the copy a fail-back restores is at most
     * {@link #OVERDUE_INTERVALS} intervals old (and one take).
     */
    long afterTry(long next, long t0, long t1, long holeMapNanos, long now, long lastCommitAt) {
        return Math.min(spaced(next, t0, t1, holeMapNanos), overdueAt(now, lastCommitAt));
    }

    private long overdueAt(long now, long lastCommitAt) {
        return Math.max(now, lastCommitAt + OVERDUE_INTERVALS * intervalNanos + 1_000_000);
    }
}
