package org.xenpostcopy.migration.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** At most K of a group send at once; a freed place goes to the earliest waiting in the group's order. */
@Timeout(60)
class LinkTurnsTest {
    private final LinkTurns turns = new LinkTurns();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void atMostKSendAtOnceAndAFreedPlaceGoesToTheEarliestWaiting() throws Exception {
        // Joined, and queued below, against the order: the rank decides, not who came first.
        LinkTurns.Turn r3 = turns.join("g", 2, 3);
        LinkTurns.Turn r2 = turns.join("g", 2, 2);
        LinkTurns.Turn r1 = turns.join("g", 2, 1);
        LinkTurns.Turn r0 = turns.join("g", 2, 0);
        // Ready out of order: the later ranks take the free places, a free place is not kept for one not ready.
        assertTrue(r3.await(0));
        assertTrue(r2.await(0));
        List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
        Future<?> w1 = pool.submit(() -> awaitThen(r1, "r1", order));
        Future<?> w0 = pool.submit(() -> awaitThen(r0, "r0", order));
        awaitQueued(2);
        assertEquals(2, turns.sending("g"), "no third place while two send");

        r3.release();
        w0.get(30, TimeUnit.SECONDS);
        assertEquals(List.of("r0"), order, "the earliest in the order goes first, whoever queued first");
        assertEquals(1, turns.waiting("g"), "r1 still waits");
        r2.release();
        w1.get(30, TimeUnit.SECONDS);
        assertEquals(List.of("r0", "r1"), order);
    }

    @Test
    void amongThoseWaitingTheOneWithTheMostToSendGoesFirstThenTheEarliestInTheOrder() throws Exception {
        LinkTurns.Turn sending = turns.join("g", 1, 0);
        assertTrue(sending.await(0));
        LinkTurns.Turn small = turns.join("g", 1, 1);
        LinkTurns.Turn big = turns.join("g", 1, 3);
        LinkTurns.Turn bigEarlier = turns.join("g", 1, 2);
        small.toSend(1_000);
        big.toSend(9_000);
        bigEarlier.toSend(9_000);
        List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
        Future<?> s = pool.submit(() -> awaitThen(small, "small", order));
        awaitQueued(1);
        Future<?> b = pool.submit(() -> awaitThen(big, "big", order));
        awaitQueued(2);
        Future<?> e = pool.submit(() -> awaitThen(bigEarlier, "bigEarlier", order));
        awaitQueued(3);
        sending.release();
        e.get(30, TimeUnit.SECONDS);
        bigEarlier.release();
        b.get(30, TimeUnit.SECONDS);
        big.release();
        s.get(30, TimeUnit.SECONDS);
        assertEquals(List.of("bigEarlier", "big", "small"), order,
                "most pages first (the longest first), then rank; not who queued first");
    }

    @Test
    void aMigrationThatEndsWhileWaitingOrSendingGivesItsPlaceBackOnce() throws Exception {
        LinkTurns.Turn a = turns.join("g", 1, 0);
        LinkTurns.Turn b = turns.join("g", 1, 1);
        LinkTurns.Turn c = turns.join("g", 1, 2);
        assertTrue(a.await(0));
        assertFalse(b.await(0));
        b.release();                // failed while queued: leaves the queue
        a.release();
        a.release();                // twice: no second place appears
        assertTrue(c.await(0));
        LinkTurns.Turn d = turns.join("g", 1, 3);
        assertFalse(d.await(0), "one place, and c holds it");
        assertThrows(IllegalStateException.class, () -> b.await(0), "a turn given back is not taken again");
        c.release();
        assertTrue(d.await(0));
    }

    @Test
    void anInterruptedWaitLeavesTheQueue() throws Exception {
        LinkTurns.Turn a = turns.join("g", 1, 0);
        LinkTurns.Turn first = turns.join("g", 1, 1);
        LinkTurns.Turn later = turns.join("g", 1, 2);
        assertTrue(a.await(0));
        Future<?> waiting = pool.submit(() -> first.await(60_000));
        awaitQueued(1);
        waiting.cancel(true);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (turns.waiting("g") != 0) {
            assertTrue(System.nanoTime() < deadline, "the interrupted wait never left the queue");
            Thread.sleep(1);
        }
        a.release();
        assertTrue(later.await(0), "the interrupted one, earlier in the order, no longer holds the place up");
    }

    @Test
    void groupsAreSeparateAndForgottenWhenEmpty() throws Exception {
        LinkTurns.Turn g1 = turns.join("one", 1, 0);
        LinkTurns.Turn g2 = turns.join("two", 1, 0);
        assertTrue(g1.await(0));
        assertTrue(g2.await(0), "another group's place is its own");
        assertEquals(2, turns.groups());
        g1.release();
        g2.release();
        assertEquals(0, turns.groups());
        assertThrows(IllegalArgumentException.class, () -> turns.join("three", 0, 0));
    }

    private static Object awaitThen(LinkTurns.Turn t, String name, List<String> order) throws InterruptedException {
        while (!t.await(60_000)) {
            Thread.onSpinWait();
        }
        order.add(name);
        return null;
    }

    /** Until {@code n} members of group "g" wait (seen through the monitor both sides take). */
    private void awaitQueued(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (turns.waiting("g") < n) {
            assertTrue(System.nanoTime() < deadline, "never queued: " + turns.waiting("g"));
            Thread.sleep(1);
        }
    }
}
