package org.xenpostcopy.migration.source;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** A push's pace by the wall clock, on instants the test gives. */
class PushPaceTest {
    private static final long MS = 1_000_000L;

    @Test
    void unknownUntilTwoBatchesHaveEnded() {
        PushPace p = new PushPace();
        assertEquals(Long.MAX_VALUE, p.nanosFor(1));
        p.batchEnded(64, 5 * MS);
        assertEquals(Long.MAX_VALUE, p.nanosFor(1), "the first batch's start is not known");
        assertEquals(0, p.measuredNanos());
    }

    @Test
    void whatIsLeftTakesThePaceBetweenBatchEndsWhateverTheyWaitedFor() {
        PushPace p = new PushPace();
        long t = 0;
        for (int i = 0; i < 20; i++) {
            t += 4 * MS;             // 64 pages every 4 ms, link slot, reads and connection together: 62.5 µs a page
            p.batchEnded(64, t);
        }
        assertEquals(1000 * 62_500L, p.nanosFor(1000), 1000);
        assertEquals(19 * 4 * MS, p.measuredNanos());
    }
}
