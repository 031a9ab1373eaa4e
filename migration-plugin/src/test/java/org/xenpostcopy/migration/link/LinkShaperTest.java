package org.xenpostcopy.migration.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The shaper's schedule on a clock of the test's own: what it books, not how long a thread slept. */
class LinkShaperTest {
    private static final long MS = 1_000_000L;
    private static final int PAGE = 4104;
    /** 28 pages: what {@link LinkShaper#batchPages} gives at 1000 Mbit/s (checked below). */
    private static final long BATCH_BYTES = 28L * PAGE;
    /** At 1000 Mbit/s, a bit a nanosecond, framing included. */
    private static final long BATCH_NANOS = LinkShaper.framed(BATCH_BYTES) * 8;

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
        long busy = batches * BATCH_NANOS;
        assertTrue(done - start <= busy, "the link idled while the sender got batches ready: " + (done - start)
                + " ns for " + busy + " ns of bytes");
        assertTrue(done - start >= busy - MS, "faster than the link: " + (done - start));
    }

    @Test
    void anUrgentPageBetweenTwoBatchesDoesNotIdleTheLink() {
        LinkShaper link = new LinkShaper(1000, 0);
        long now = 1_000 * MS;
        long first = link.reserve(BATCH_BYTES, false, now);
        long gap = MS / 2;   // the sender comes back half a millisecond after its batch left
        long page = LinkShaper.framed(PAGE) * 8;
        assertEquals(first + gap + page, link.reserve(PAGE, true, first + gap), "an urgent page leaves at once");
        assertEquals(first + page + BATCH_NANOS, link.reserve(BATCH_BYTES, false, first + gap + page),
                "the next batch starts where the link went free, the urgent page's bytes after it");
    }

    /**
     * The token bucket's promise, over every window of time: what left in it is at most its length at the rate, plus
     * a millisecond of burst, plus the bulk send in flight at its start, which urgent pages overtake on the wire
     * (its sender was told when it would be done and is not told again). A bulk sender that waits for its bytes, as
     * the push does, and urgent pages at random times, both at seeded random paces.
     */
    @Test
    void noWindowCarriesMoreThanTheRatePlusAMillisecond() {
        Random random = new Random(16);
        long mbps = 100;
        LinkShaper link = new LinkShaper(mbps, 0);
        List<long[]> sends = new ArrayList<>();   // {left at, framed bytes}
        List<long[]> urgent = new ArrayList<>();
        long bulkAt = 5_000 * MS;
        long urgentAt = bulkAt;
        long largestBulk = 0;
        for (int i = 0; i < 20_000; i++) {
            if (urgentAt < bulkAt) {
                long bytes = PAGE;
                long[] send = {link.reserve(bytes, true, urgentAt), LinkShaper.framed(bytes)};
                sends.add(send);
                urgent.add(send);
                urgentAt += random.nextInt(5 * (int) MS);
            } else {
                long bytes = (long) PAGE * (1 + random.nextInt(8));
                long done = link.reserve(bytes, false, bulkAt);
                sends.add(new long[] {done, LinkShaper.framed(bytes)});
                largestBulk = Math.max(largestBulk, LinkShaper.framed(bytes));
                // It waits for its bytes, then prepares the next at once, a little later, or after an idle spell.
                bulkAt = Math.max(bulkAt, done) + switch (random.nextInt(3)) {
                    case 0 -> 0;
                    case 1 -> random.nextInt(300_000);
                    default -> random.nextInt(50 * (int) MS);
                };
            }
        }
        double bytesPerNano = mbps * 1e6 / 8 / 1e9;
        long largestBulkNanos = (long) (largestBulk / bytesPerNano);
        double allowance = MS * bytesPerNano + largestBulk + mostIn(urgent, largestBulkNanos);
        sends.sort(Comparator.comparingLong(s -> s[0]));
        // Bytes in (t_j, t_i] <= (t_i - t_j) * r + allowance: with C the running sum of bytes and r the rate in bytes
        // per ns, C_i - r t_i - min over j < i of (C_j - r t_j) <= allowance.
        double sum = 0;
        double lowest = Double.MAX_VALUE;
        for (long[] s : sends) {
            lowest = Math.min(lowest, sum - bytesPerNano * s[0]);
            sum += s[1];
            double excess = sum - bytesPerNano * s[0] - lowest;
            assertTrue(excess <= allowance, "a window ending at " + s[0] + " ns carried " + (long) excess
                    + " bytes more than the rate; a millisecond's burst and one bulk send allow " + (long) allowance);
        }
    }

    /** The most bytes of {@code sends} (in the order they left) that left within any span of {@code nanos}. */
    private static long mostIn(List<long[]> sends, long nanos) {
        long most = 0;
        long in = 0;
        int first = 0;
        for (long[] s : sends) {
            in += s[1];
            while (s[0] - sends.get(first)[0] > nanos) {
                in -= sends.get(first++)[1];
            }
            most = Math.max(most, in);
        }
        return most;
    }

    @Test
    void aGigabitLinkCarriesWhatAGigabitEthernetCarriesOfTheSocketsBytes() {
        LinkShaper link = new LinkShaper(1000, 0);
        long start = 1_000 * MS;
        long done = start;
        long payload = 0;
        while (done - start < 1_000 * MS) {   // a second of full batches, the sender always ready
            done = link.reserve(BATCH_BYTES, false, done);
            payload += BATCH_BYTES;
        }
        double mbps = payload * 8.0 / ((done - start) / 1e9) / 1e6;
        // TCP over gigabit Ethernet with a 1500-byte MTU: 1448 of every 1538 bytes on the wire, 941 Mbit/s.
        assertTrue(mbps > 935 && mbps < 945, "a 1000 Mbit/s link carried " + mbps + " Mbit/s of the sockets' bytes");
        assertEquals(1448 + 90, LinkShaper.framed(1448), "a full segment");
        assertEquals(1 + 90, LinkShaper.framed(1), "a byte still takes a frame");
        assertEquals(1449 + 2 * 90, LinkShaper.framed(1449), "one more byte takes another");
    }

    @Test
    void afterAnIdleSpellABurstIsAtMostAMillisecond() {
        LinkShaper link = new LinkShaper(1000, 0);
        assertEquals(BATCH_BYTES / PAGE, link.batchPages(64, PAGE), "a bulk batch fills about a millisecond");
        long now = 1_000 * MS;
        long sent = 0;
        while (link.reserve(PAGE, false, now) <= now) {   // pages that leave "at once": the idle link's credit
            sent += PAGE;
        }
        assertTrue(sent > 0, "an idle link had room at once");
        assertTrue(LinkShaper.framed(sent) * 8 <= MS, sent + " bytes left at once");
    }

    @Test
    void urgentBytesStartAtOnceAndPushTheBulkBack() {
        LinkShaper link = new LinkShaper(1000, 0);
        long now = 1_000 * MS;
        long bulkDone = 0;
        for (int i = 0; i < 10; i++) {   // ten bulk batches booked ahead
            bulkDone = link.reserve(BATCH_BYTES, false, now);
        }
        long pageNanos = LinkShaper.framed(PAGE) * 8;
        assertEquals(now + pageNanos, link.reserve(PAGE, true, now), "an urgent page waits only for its own bytes");
        assertEquals(bulkDone + pageNanos + BATCH_NANOS, link.reserve(BATCH_BYTES, false, now),
                "the next bulk batch starts after the urgent page's bytes too");
    }

    @Test
    void aRateNoNetworkCarriesIsRefusedNotWrappedAround() {
        // A peer's prepare names the rate; a huge one must not overflow into a negative or unshaped link.
        assertThrows(IllegalArgumentException.class, () -> new LinkShaper(Long.MAX_VALUE / 1000, 0));
        assertThrows(IllegalArgumentException.class, () -> new LinkShaper(-1, 0));
    }
}
