package org.xenpostcopy.migration.source;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Batches as large as the push's connection drains in about 2 ms, on rates the test sets. */
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
            s.sent(64, nanos(64, 1e9));     // 1 GB/s: 2 ms is 487 pages, more than a batch
        }
        assertEquals(64, s.next());
    }

    @Test
    void aBatchTakesAbout2MsOfTheRateItsConnectionDrains() {
        PushBatchSizer s = new PushBatchSizer(64, PAGE);
        for (int i = 0; i < 30; i++) {
            s.sent(s.next(), nanos(s.next(), 12.5e6));  // 100 Mbit/s: 2 ms is 25 000 bytes, 6 pages
        }
        assertEquals(6, s.next());
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
            s.sent(s.next(), nanos(s.next(), 4e6));     // a third of 100 Mbit/s: MIN_PAGES
        }
        s.sent(4, 1_000);       // the connection had room: taken in a microsecond
        assertEquals(PushBatchSizer.MIN_PAGES, s.next());
    }

    @Test
    void batchesGrowAgainWhenTheLinkFreesUp() {
        PushBatchSizer s = new PushBatchSizer(64, PAGE);
        for (int i = 0; i < 30; i++) {
            s.sent(s.next(), nanos(s.next(), 4e6));
        }
        for (int i = 0; i < 30; i++) {
            s.sent(s.next(), nanos(s.next(), 125e6));   // alone on 1 Gbit/s: 2 ms is 60 pages
        }
        assertEquals(60, s.next());
    }
}
