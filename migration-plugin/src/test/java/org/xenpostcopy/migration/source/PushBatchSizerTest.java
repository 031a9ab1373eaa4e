package org.xenpostcopy.migration.source;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Batches as large as the push's connection drains in about 5 ms, on rates the test sets. */
class PushBatchSizerTest {
    private static final int PAGE = 4104;
    private static final long MS = 1_000_000L;

    /** {@code pages} pages drained at {@code bytesPerSecond}: the nanoseconds the connection took them in. */
    private static long nanos(int pages, double bytesPerSecond) {
        return (long) (pages * (double) PAGE / bytesPerSecond * 1e9);
    }

    @Test
    void theFirstBatchIsFullAndAFastConnectionKeepsThemFull() {
        PushBatchSizer s = new PushBatchSizer(64, PAGE);
        assertEquals(64, s.next());
        for (int i = 0; i < 10; i++) {
            s.sent(64, nanos(64, 1e9));     // 1 GB/s: 5 ms is 1218 pages, more than a batch
        }
        assertEquals(64, s.next());
    }

    @Test
    void aBatchTakesAbout5MsOfTheRateItsConnectionDrains() {
        PushBatchSizer s = new PushBatchSizer(64, PAGE);
        for (int i = 0; i < 30; i++) {
            s.sent(s.next(), nanos(s.next(), 12.5e6));  // 100 Mbit/s: 5 ms is 62 500 bytes, 15 pages
        }
        assertEquals(15, s.next());
    }

    @Test
    void aSlowShareGetsTheSmallestBatchNotLess() {
        PushBatchSizer s = new PushBatchSizer(64, PAGE);
        for (int i = 0; i < 30; i++) {
            s.sent(s.next(), nanos(s.next(), 1e6));
        }
        assertEquals(PushBatchSizer.MIN_PAGES, s.next());
        PushBatchSizer tiny = new PushBatchSizer(2, PAGE);
        tiny.sent(2, 100 * MS);
        assertEquals(2, tiny.next(), "never more than the migration's own batch size");
    }

    @Test
    void oneBatchTakenAtOnceDoesNotUndoWhatTheSlowOnesMeasured() {
        PushBatchSizer s = new PushBatchSizer(64, PAGE);
        for (int i = 0; i < 30; i++) {
            s.sent(s.next(), nanos(s.next(), 2e6));     // a sixth of 100 Mbit/s: 2 pages in 5 ms, so MIN_PAGES
        }
        s.sent(4, 1_000);       // the connection had room: taken in a microsecond
        assertEquals(PushBatchSizer.MIN_PAGES, s.next());
    }

    @Test
    void batchesGrowAgainWhenTheLinkFreesUp() {
        PushBatchSizer s = new PushBatchSizer(64, PAGE);
        for (int i = 0; i < 30; i++) {
            s.sent(s.next(), nanos(s.next(), 2e6));
        }
        for (int i = 0; i < 30; i++) {
            s.sent(s.next(), nanos(s.next(), 8e6));     // 5 ms is 9 pages
        }
        assertEquals(9, s.next());
        for (int i = 0; i < 30; i++) {
            s.sent(s.next(), nanos(s.next(), 60e6));    // half of 1 Gbit/s: 73 pages in 5 ms, so a full batch
        }
        assertEquals(64, s.next());
    }
}
