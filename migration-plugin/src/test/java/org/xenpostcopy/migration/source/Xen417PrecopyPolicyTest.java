package org.xenpostcopy.migration.source;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Xen 4.17's stop rule for live pre-copy rounds (simple_precopy_policy), and the hybrid's fixed count. */
class Xen417PrecopyPolicyTest {
    @Test
    void fewerThanFiftyDirtyPagesBuyOneLastLiveRoundThenStop() {
        Xen417PrecopyPolicy p = Xen417PrecopyPolicy.xen();
        assertEquals(false, p.lastRound(1, false, 10_000));
        assertEquals(false, p.lastRound(2, false, 49), "49 dirty: one more live round for them");
        assertEquals(true, p.lastRound(3, false, 30), "that round was the last, however many it left");
    }

    @Test
    void exactlyFiftyDirtyPagesAreNotFewEnough() {
        Xen417PrecopyPolicy p = Xen417PrecopyPolicy.xen();
        assertEquals(false, p.lastRound(1, false, 50));
        assertEquals(false, p.lastRound(2, false, 50));
    }

    @Test
    void atMostFiveLiveRoundsWhateverTheGuestDirties() {
        Xen417PrecopyPolicy p = Xen417PrecopyPolicy.xen();
        for (int round = 1; round < Xen417PrecopyPolicy.MAX_ROUNDS; round++) {
            assertEquals(false, p.lastRound(round, false, 1_000_000), "round " + round);
        }
        assertEquals(true, p.lastRound(Xen417PrecopyPolicy.MAX_ROUNDS, false, 1_000_000));
    }

    @Test
    void anEmptyRoundEndsTheLiveRounds() {
        assertEquals(true, Xen417PrecopyPolicy.xen().lastRound(2, true, 0));
        assertEquals(false, Xen417PrecopyPolicy.xen().sendsEmptyRounds());
    }

    @Test
    void aHybridRunsItsFixedRoundsEvenEmptyOnes() {
        Xen417PrecopyPolicy p = Xen417PrecopyPolicy.fixed(3);
        assertEquals(true, p.sendsEmptyRounds());
        assertEquals(false, p.lastRound(1, true, 0));
        assertEquals(false, p.lastRound(2, false, 10));
        assertEquals(true, p.lastRound(3, false, 1_000_000));
        assertEquals(true, Xen417PrecopyPolicy.fixed(0).lastRound(1, false, 5), "at least one round");
    }
}
