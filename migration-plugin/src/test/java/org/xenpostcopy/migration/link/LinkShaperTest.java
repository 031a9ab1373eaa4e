package org.xenpostcopy.migration.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The shaper's schedule on a clock of the test's own: what it books, not how long a thread slept. */
class LinkShaperTest {
    private static final long MS = 1_000_000L;
    /** 28 pages of 4104 bytes: what {@link LinkShaper#batchPages} gives at 1000 Mbit/s (checked below). */
    private static final long BATCH_BYTES = 28 * 4104L;
    /** At 1000 Mbit/s, a bit a nanosecond, framing included. */
    private static final long BATCH_NANOS = LinkShaper.onTheWire(BATCH_BYTES) * 8;

    @Test
    void aSenderThatPausesBetweenBatchesStillFillsTheLink() {
        LinkShaper link = new LinkShaper(1000, 0);
        long start = 1_000 * MS;
        long now = start;
        long done = 0;
        int batches = 1000;
        for (int i = 0; i < batches; i++) {
            done = link.reserve(BATCH_BYTES, false, now);
            // The sender sleeps until its batch has left, then takes 0.2 ms (and a late timer) to send the next.
            now = Math.max(now, done) + 200_000;
        }
        long busy = (long) batches * BATCH_NANOS;
        assertTrue(done - start <= busy, "the link idled while the sender got batches ready: " + (done - start)
                + " ns for " + busy + " ns of bytes");
        assertTrue(done - start >= busy - LinkShaper.QUEUE_NANOS, "faster than the link: " + (done - start));
    }

    @Test
    void noSenderGetsMoreThanTheRatePlusOneQueueWhateverItsPace() {
        Random random = new Random(16);
        LinkShaper link = new LinkShaper(100, 0);
        long start = 5_000 * MS;
        long now = start;
        long bytes = 0;
        for (int i = 0; i < 20_000; i++) {
            long size = 4104L * (1 + random.nextInt(64));
            boolean urgent = random.nextInt(10) == 0;
            long done = link.reserve(size, urgent, now);
            bytes += size;
            long linkNanosSinceStart = Math.max(done, now) - start;
            long allowed = (linkNanosSinceStart + LinkShaper.QUEUE_NANOS) / 80 + 1;   // 100 Mbit/s: 80 ns a byte
            assertTrue(bytes <= allowed + 64 * 4104L, "by " + linkNanosSinceStart + " ns the link let " + bytes
                    + " bytes go; at most " + allowed + " fit");
            // Sometimes waits for its bytes, sometimes sends at once, sometimes goes idle for a while.
            switch (random.nextInt(3)) {
                case 0 -> now = Math.max(now, done);
                case 1 -> now += random.nextInt(50_000);
                default -> now = Math.max(now, done) + random.nextInt(5 * (int) MS);
            }
        }
    }

    @Test
    void aGigabitLinkCarriesWhatAGigabitEthernetCarriesOfTheSocketsBytes() {
        LinkShaper link = new LinkShaper(1000, 0);
        long start = 1_000 * MS;
        long done = start;
        long payload = 0;
        while (done - start < 1_000 * MS) {   // a second of full batches, the sender always ready
            done = link.reserve(BATCH_BYTES, false, Math.max(start, done - LinkShaper.QUEUE_NANOS));
            payload += BATCH_BYTES;
        }
        double mbps = payload * 8.0 / ((done - start) / 1e9) / 1e6;
        // TCP over gigabit Ethernet with a 1500-byte MTU: 1448 of every 1538 bytes on the wire, 941 Mbit/s.
        assertTrue(mbps > 935 && mbps < 945, "a 1000 Mbit/s link carried " + mbps + " Mbit/s of the sockets' bytes");
        assertEquals(1448 + 90, LinkShaper.onTheWire(1448), "a full segment");
        assertEquals(1 + 90, LinkShaper.onTheWire(1), "a byte still takes a frame");
        assertEquals(1449 + 2 * 90, LinkShaper.onTheWire(1449), "one more byte takes another");
    }

    @Test
    void afterAnIdleSpellABurstIsAtMostOneQueue() {
        LinkShaper link = new LinkShaper(1000, 0);
        assertEquals(BATCH_BYTES / 4104, link.batchPages(64, 4104), "a bulk batch fills about a millisecond");
        long now = 1_000 * MS;
        long done = now;
        long sent = 0;
        while (done <= now) {   // batches that leave "at once": the credit the idle link built up
            done = link.reserve(BATCH_BYTES, false, now);
            if (done <= now) {
                sent += BATCH_BYTES;
            }
        }
        assertTrue(LinkShaper.onTheWire(sent) * 8 <= LinkShaper.QUEUE_NANOS, sent + " bytes left at once");
        assertTrue(sent > 0, "an idle link had room for a batch at once");
    }

    @Test
    void urgentBytesStartAtOnceAndPushTheBulkBack() {
        LinkShaper link = new LinkShaper(1000, 0);
        long now = 1_000 * MS;
        long bulkDone = 0;
        for (int i = 0; i < 10; i++) {   // ten bulk batches booked ahead
            bulkDone = link.reserve(BATCH_BYTES, false, now);
        }
        long page = 4104;
        long pageNanos = LinkShaper.onTheWire(page) * 8;
        assertEquals(now + pageNanos, link.reserve(page, true, now), "an urgent page waits only for its own bytes");
        assertEquals(bulkDone + pageNanos + BATCH_NANOS, link.reserve(BATCH_BYTES, false, now),
                "the next bulk batch starts after the urgent page's bytes too");
    }
}
