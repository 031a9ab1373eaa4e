package org.xenpostcopy.migration.destination;

import java.util.concurrent.TimeUnit;

/**
 * The destination's side of the lease a checkpointed post-copy runs on: the guest may run here only until
 * {@code leaseMs} past the sending of the last request the source answered with a grant. Counted from the
 * request's sending, not the reply's arrival, so a reply that lingered in a buffer cannot stretch it: the source
 * answered after the request left, so every lease it granted ends, on its own clock, no later than its last answer
 * plus {@code leaseMs} (give or take the two clocks' rate difference, which the source's wait covers).
 */
final class SourceLease {
    private final long leaseNanos;
    private long validUntil;

    /** A lease that starts now (the resume: the source has just handed the guest over). */
    SourceLease(long leaseMs, long now) {
        this.leaseNanos = TimeUnit.MILLISECONDS.toNanos(leaseMs);
        this.validUntil = now + leaseNanos;
    }

    /** A reply granted the lease to a request sent at {@code sentAt}. */
    synchronized void renew(long sentAt) {
        if (sentAt + leaseNanos - validUntil > 0) {
            validUntil = sentAt + leaseNanos;
        }
    }

    /** Whether the guest may still run at {@code now}. */
    synchronized boolean valid(long now) {
        return validUntil - now > 0;
    }

    /** Milliseconds the lease has left at {@code now} (negative once run out). */
    synchronized long leftMs(long now) {
        return TimeUnit.NANOSECONDS.toMillis(validUntil - now);
    }
}
