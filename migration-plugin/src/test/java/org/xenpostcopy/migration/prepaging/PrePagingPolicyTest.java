package org.xenpostcopy.migration.prepaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.source.SentPages;
import org.xenpostcopy.xen.GfnBitmap;

class PrePagingPolicyTest {
    private static SentPages sent(long size) {
        return new SentPages(size, new GfnBitmap(size));
    }

    /** Drives a policy as the push scheduler does: next, claim, repeat. */
    private static List<Long> push(PrePagingPolicy p, SentPages s, int count) {
        List<Long> order = new ArrayList<>();
        while (order.size() < count) {
            long g = p.next();
            if (g < 0) {
                break;
            }
            if (s.claim(g)) {
                order.add(g);
            }
        }
        return order;
    }

    @Test
    void linearPushGoesInGfnOrderAndSkipsSentPages() {
        SentPages s = sent(10);
        s.claim(2);
        s.claim(3);
        assertEquals(List.of(0L, 1L, 4L, 5L, 6L, 7L, 8L, 9L), push(new LinearPush(s), s, 100));
    }

    @Test
    void bubbleGrowsBothWaysFromTheFaultAndEachFaultBecomesThePivot() {
        SentPages s = sent(100);
        Bubble b = new Bubble(s);
        s.claim(50);            // the faulted page went by demand
        b.onFault(50);
        assertEquals(List.of(51L, 49L, 52L, 48L, 53L, 47L), push(b, s, 6));
        s.claim(80);
        b.onFault(80);
        assertEquals(List.of(81L, 79L, 82L, 78L), push(b, s, 4));
    }

    @Test
    void aBubbleEdgeStopsWhereItMeetsSentPages() {
        SentPages s = sent(100);
        for (long g = 40; g < 50; g++) {
            s.claim(g);          // already pushed
        }
        s.claim(50);
        Bubble b = new Bubble(s);
        b.onFault(50);
        // the backward edge meets gfn 49 (sent) at once and stops; the forward edge takes all the bandwidth
        assertEquals(List.of(51L, 52L, 53L, 54L), push(b, s, 4));
    }

    @Test
    void bubbleSendsEveryPageExactlyOnceInTheEnd() {
        SentPages s = sent(1000);
        Bubble b = new Bubble(s);
        List<Long> order = new ArrayList<>();
        for (long fault : new long[] {500, 10, 999, 0, 731}) {
            if (s.claim(fault)) {
                order.add(fault);
            }
            b.onFault(fault);
            order.addAll(push(b, s, 37));
        }
        order.addAll(push(b, s, 10_000));
        Set<Long> unique = new HashSet<>(order);
        assertEquals(1000, order.size());
        assertEquals(1000, unique.size());
        assertTrue(s.allClaimed());
    }

    @Test
    void multiBubbleServesSeveralPivotsRoundRobin() {
        SentPages s = sent(1000);
        MultiBubble m = new MultiBubble(s, 3);
        for (long f : new long[] {100, 500, 900}) {
            s.claim(f);
            m.onFault(f);
        }
        // the newest fault's bubble first, then round-robin
        assertEquals(List.of(901L, 501L, 101L, 899L, 499L, 99L), push(m, s, 6));
    }

    @Test
    void multiBubbleKeepsOnlyTheLastKPivots() {
        SentPages s = sent(1000);
        MultiBubble m = new MultiBubble(s, 2);
        for (long f : new long[] {100, 500, 900}) {
            s.claim(f);
            m.onFault(f);
        }
        assertEquals(2, m.activeBubbles());
        assertEquals(List.of(901L, 501L, 899L, 499L), push(m, s, 4));
    }

    @Test
    void demandOnlyPushesNothingDuringItsWindowThenFlushes() {
        SentPages s = sent(8);
        AtomicLong clock = new AtomicLong(0);
        DemandOnly d = new DemandOnly(s, 1_000, clock::get);
        assertEquals(-1, d.next());
        assertEquals(1_000, d.nanosUntilReady());
        clock.set(1_000);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L), push(d, s, 100));
    }

    @Test
    void sentPagesClaimIsExactlyOnceUnderContention() throws Exception {
        SentPages s = sent(200_000);
        AtomicLong wins = new AtomicLong();
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (long g = 0; g < 200_000; g++) {
                    if (s.claim(g)) {
                        wins.incrementAndGet();
                    }
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(200_000, wins.get());
        assertEquals(200_000, s.claimed());
        assertTrue(s.allClaimed());
    }

    @Test
    void skippedGfnsAreNeverOfferedNorCounted() {
        GfnBitmap holes = new GfnBitmap(10);
        holes.setRange(3, 7);
        SentPages s = new SentPages(10, holes);
        assertEquals(6, s.toSend());
        assertEquals(List.of(0L, 1L, 2L, 7L, 8L, 9L), push(new LinearPush(s), s, 100));
        assertTrue(s.allClaimed());
    }
}
