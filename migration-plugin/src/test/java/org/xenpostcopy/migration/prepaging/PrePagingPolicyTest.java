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

    // ---- bubble-forward: our first bubble ----------------------------------------------------------------

    @Test
    void forwardBubbleGrowsBothWaysFromTheFaultAndEachFaultBecomesThePivot() {
        SentPages s = sent(100);
        ForwardBubble b = new ForwardBubble(s);
        s.claim(50);            // the faulted page went by demand
        b.onFault(50);
        assertEquals(List.of(51L, 49L, 52L, 48L, 53L, 47L), push(b, s, 6));
        s.claim(80);
        b.onFault(80);
        assertEquals(List.of(81L, 79L, 82L, 78L), push(b, s, 4));
    }

    @Test
    void aForwardBubbleEdgeStopsWhereItMeetsSentPages() {
        SentPages s = sent(100);
        for (long g = 40; g < 50; g++) {
            s.claim(g);          // already pushed
        }
        s.claim(50);
        ForwardBubble b = new ForwardBubble(s);
        b.onFault(50);
        // the backward edge meets gfn 49 (sent) at once and stops; the forward edge takes all the bandwidth
        assertEquals(List.of(51L, 52L, 53L, 54L), push(b, s, 4));
    }

    @Test
    void aSpentForwardBubbleGoesOnForwardFromItsPivotNeverBack() {
        SentPages s = sent(20);
        for (long g : new long[] {4, 6}) {
            s.claim(g);
        }
        ForwardBubble b = new ForwardBubble(s);
        s.claim(5);
        b.onFault(5);
        // both edges stop at once (4 and 6 are sent); the next bubble starts at the next unsent page after 5, and
        // its backward edge stops at 6: gfns 0..3 wait until the push wraps around
        assertEquals(List.of(7L, 8L, 9L), push(b, s, 3));
    }

    @Test
    void forwardBubbleSendsEveryPageExactlyOnceInTheEnd() {
        assertEverySentOnce(sent(1000), ForwardBubble::new, 1);
    }

    // ---- bubble: the paper's dual-direction bubble ----------------------------------------------------------

    @Test
    void dualBubbleStartsAtGfnZeroBeforeAnyFault() {
        SentPages s = sent(10);
        assertEquals(List.of(0L, 1L, 2L, 3L), push(new DualBubble(s), s, 4));
    }

    @Test
    void dualBubbleWidensBothWaysInLockStepBackwardFirst() {
        SentPages s = sent(100);
        DualBubble b = new DualBubble(s);
        b.onFault(50);
        s.claim(50);            // the page server sends the faulted page itself
        assertEquals(List.of(49L, 51L, 48L, 52L, 47L, 53L), push(b, s, 6));
        b.onFault(80);
        s.claim(80);
        assertEquals(List.of(79L, 81L, 78L, 82L), push(b, s, 4));
    }

    @Test
    void dualBubbleSkipsSentPagesAndItsEdgesKeepWidening() {
        SentPages s = sent(100);
        for (long g = 40; g < 50; g++) {
            s.claim(g);          // the guest swept here: all sent
        }
        DualBubble b = new DualBubble(s);
        b.onFault(50);
        s.claim(50);
        // distances 1..10 behind the pivot are sent: the forward edge gets them all, then the backward edge, still
        // widening, finds 39 at distance 11 — where our forward-only bubble stopped for good
        List<Long> expected = new ArrayList<>();
        for (long g = 51; g <= 60; g++) {
            expected.add(g);
        }
        expected.addAll(List.of(39L, 61L, 38L, 62L));
        assertEquals(expected, push(b, s, 14));
    }

    @Test
    void aFaultOnAPageAlreadySentDoesNotMoveThePivot() {
        SentPages s = sent(100);
        DualBubble b = new DualBubble(s);
        b.onFault(50);
        s.claim(50);
        assertEquals(List.of(49L, 51L), push(b, s, 2));
        b.onFault(51);           // on its way already: the guest is where the bubble is
        assertEquals(50, b.pivot());
        assertEquals(List.of(48L, 52L), push(b, s, 2));
    }

    @Test
    void dualBubbleSendsEveryPageExactlyOnceEvenWhenClaimsAreGivenBack() {
        SentPages s = sent(1000);
        DualBubble b = new DualBubble(s);
        List<Long> first = push(b, s, 600);
        s.unclaim(first.get(17));            // lost in a cut: behind the bubble's edges now
        s.unclaim(first.get(300));
        assertEverySentOnce(s, x -> b, 2);
    }

    // ---- multibubble: the paper's multi-pivot bubble -------------------------------------------------------

    @Test
    void multiBubbleServesSeveralPivotsInTurnNewestFirst() {
        SentPages s = sent(1000);
        MultiBubble m = new MultiBubble(s, 3);
        for (long f : new long[] {100, 500, 900}) {
            m.onFault(f);
            s.claim(f);
        }
        assertEquals(List.of(899L, 499L, 99L, 901L, 501L, 101L), push(m, s, 6));
    }

    @Test
    void multiBubbleEdgesStopWhereTheyMeetAnotherBubble() {
        SentPages s = sent(100);
        MultiBubble m = new MultiBubble(s, 2);
        for (long f : new long[] {20, 30}) {
            m.onFault(f);
            s.claim(f);
        }
        // 30's bubble takes 25 and 20's takes 24: they meet, and from then on 30 grows only up and 20 only down
        assertEquals(List.of(29L, 19L, 31L, 21L, 28L, 18L, 32L, 22L, 27L, 17L, 33L, 23L, 26L, 16L, 34L, 24L, 25L,
                15L, 35L, 14L, 36L, 13L), push(m, s, 22));
        assertEquals(2, m.activeBubbles());
    }

    @Test
    void multiBubbleKeepsOnlyTheLastKPivots() {
        SentPages s = sent(1000);
        MultiBubble m = new MultiBubble(s, 2);
        for (long f : new long[] {100, 500, 900}) {
            m.onFault(f);
            s.claim(f);
        }
        assertEquals(2, m.activeBubbles());
        assertEquals(List.of(899L, 499L, 901L, 501L), push(m, s, 4));
    }

    @Test
    void multiBubbleTakesNoPivotFromAFaultOnASentPage() {
        SentPages s = sent(1000);
        MultiBubble m = new MultiBubble(s, 7);
        m.onFault(100);
        s.claim(100);
        assertEquals(List.of(99L, 101L), push(m, s, 2));
        m.onFault(101);
        assertEquals(1, m.activeBubbles());
    }

    @Test
    void multiBubbleSendsEveryPageExactlyOnceInTheEnd() {
        assertEverySentOnce(sent(1000), x -> new MultiBubble(x, 7), 3);
        assertEverySentOnce(sent(1000), x -> new MultiBubble(x, 1), 4);
    }

    /** Random faults (seeded) between pushes, as the page server makes them; then the push to the end. */
    private static void assertEverySentOnce(SentPages s, java.util.function.Function<SentPages, PrePagingPolicy> make,
                                            long seed) {
        PrePagingPolicy p = make.apply(s);
        java.util.Random random = new java.util.Random(seed);
        long before = s.claimed();
        List<Long> order = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            long fault = random.nextInt((int) s.size());
            p.onFault(fault);
            if (s.claim(fault)) {
                order.add(fault);
            }
            order.addAll(push(p, s, random.nextInt(30)));
        }
        order.addAll(push(p, s, 100_000));
        assertEquals(s.size() - before, order.size(), "every page once");
        assertEquals(order.size(), new HashSet<>(order).size(), "no page twice");
        assertTrue(s.allClaimed());
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
