package org.xenpostcopy.migration.source;

import java.util.concurrent.TimeUnit;

/**
 * How many pages the push's next batch takes: what its connection drains in about {@link #TARGET_NANOS}, at the
 * rate it has drained lately, between {@link #MIN_PAGES} and the migration's batch size.
 *
 * <p>Why by time and not by bytes: a batch is one frame, loaded at the destination only once it has arrived whole,
 * and its pages count as sent from the moment they are claimed, so a fault on any of them waits for all of it. A
 * fixed 64-page batch (256 KiB) is 2 ms of a 1 Gbit/s link to itself, but 21 ms of a 100 Mbit/s one and 60 ms of a
 * third of it, when three pushes share the link: a guest's p99 fault latency grew with every push that joined.
 * Why 5 ms and not less: a push with half of 1 Gbit/s still sends full batches, as before (2 ms made them 26 pages
 * there, and the evacuation's CPU-bound hosts measured no better for it: RESULTS.md).
 *
 * <p>The rate is each batch's bytes over the time the connection took to take them: it blocks while full, so this
 * is its drain rate when the link is the limit, and higher (so the full batch) when it is not. Reading the pages is
 * left out: a slow host would otherwise shrink its batches, and pay a batch's fixed costs more often, for no
 * fault's sake. It is the push's own rate, not the link's: it falls as more pushes share the link, and that share
 * is what a fault on a pushed page waits behind.
 */
final class PushBatchSizer {
    static final long TARGET_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    static final int MIN_PAGES = 4;
    /**
     * Weight of the newest batch in the average: a few batches to follow a change in the link's share. The average
     * is of time per byte, not of rates, so a batch the connection took at once (it had room) does not outweigh the
     * ones it was slow to take.
     */
    private static final double WEIGHT = 0.25;

    private final int maxPages;
    private final int pageBytes;
    /** Nanoseconds per byte lately; 0 until the first batch. */
    private double nanosPerByte;

    PushBatchSizer(int maxPages, int pageBytes) {
        this.maxPages = maxPages;
        this.pageBytes = pageBytes;
    }

    /** Pages for the next batch. */
    int next() {
        if (nanosPerByte == 0) {
            return maxPages;
        }
        double pages = TARGET_NANOS / nanosPerByte / pageBytes;
        return (int) Math.max(Math.min(MIN_PAGES, maxPages), Math.min(maxPages, pages));
    }

    /** The connection took a batch of {@code pages} in {@code nanos}. */
    void sent(int pages, long nanos) {
        double sample = Math.max(1, nanos) / ((double) pages * pageBytes);
        nanosPerByte = nanosPerByte == 0 ? sample : nanosPerByte + WEIGHT * (sample - nanosPerByte);
    }
}
