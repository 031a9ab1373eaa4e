package org.xenpostcopy.migration.prepaging;

import java.util.function.LongSupplier;

/**
 * No pre-paging: during a demand-only window nothing is pushed, pages move only when the guest faults on them.
 * Pure demand paging would never finish for a guest that leaves pages untouched, so after the window the rest is
 * flushed linearly — the migration ends and the window shows demand paging's fault behaviour.
 */
public final class DemandOnly implements PrePagingPolicy {
    private final LinearPush flush;
    private final LongSupplier clock;
    private final long flushAt;

    /** @param clock nanosecond clock; the window starts now */
    public DemandOnly(SentView sent, long windowNanos, LongSupplier clock) {
        this.flush = new LinearPush(sent);
        this.clock = clock;
        this.flushAt = clock.getAsLong() + windowNanos;
    }

    @Override
    public long next() {
        if (clock.getAsLong() < flushAt) {
            return -1;
        }
        return flush.next();
    }

    @Override
    public void onFault(long gfn) {
    }

    @Override
    public long nanosUntilReady() {
        return Math.max(0, flushAt - clock.getAsLong());
    }
}
