package org.xenpostcopy.migration.source;

/**
 * How fast a push gets through its pages, by the wall clock from one batch's end to the next: its link slot, the
 * page reads and the connection all in it, so it is what the rest of the push will take. Not {@link PushBatchSizer}'s
 * rate, which times the connection alone (what a fault on a pushed page waits behind) and so runs ahead of the push
 * when the host's reads or an in-process shaper hold it.
 */
final class PushPace {
    /** Weight of the newest batch in the average. */
    private static final double WEIGHT = 0.25;

    private long firstEnd = -1;
    private long lastEnd;
    private double nanosPerPage;

    /** A batch of {@code pages} ended at {@code nowNanos}. */
    void batchEnded(int pages, long nowNanos) {
        if (firstEnd < 0) {
            firstEnd = nowNanos;     // the first batch has no start to measure from: the pace counts from its end
        } else if (pages > 0) {
            double sample = Math.max(1, nowNanos - lastEnd) / (double) pages;
            nanosPerPage = nanosPerPage == 0 ? sample : nanosPerPage + WEIGHT * (sample - nanosPerPage);
        }
        lastEnd = nowNanos;
    }

    /** For how long the pace has been measured (0 before two batches). */
    long measuredNanos() {
        return firstEnd < 0 || nanosPerPage == 0 ? 0 : lastEnd - firstEnd;
    }

    /** About how long {@code pages} more take at this pace; unknown before two batches: max. */
    long nanosFor(long pages) {
        return nanosPerPage == 0 ? Long.MAX_VALUE : (long) Math.min(Long.MAX_VALUE / 2.0, pages * nanosPerPage);
    }
}
