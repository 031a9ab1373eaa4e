package org.xenpostcopy.migration.destination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The checkpoint pacing rules, on instants given in milliseconds (as nanoseconds). */
class CheckpointPacingTest {
    private static final long MS = 1_000_000;
    private final CheckpointPacing oneSecond = new CheckpointPacing(1000 * MS);

    @Test
    void aCheapCheckpointKeepsTheIntervalAskedFor() {
        long t0 = 5_000 * MS;
        long next = t0 + 1000 * MS;
        // 10 ms of taking: the guest's share allows 190 ms more, well inside the interval.
        assertEquals(next, oneSecond.spaced(next, t0, t0 + 10 * MS, 0));
    }

    @Test
    void whatTheGuestPaysIsATwentiethOfItsTimeAtMost() {
        long t0 = 5_000 * MS;
        long t1 = t0 + 100 * MS;   // 100 ms of pause and live copying
        assertEquals(t1 + 1900 * MS, oneSecond.spaced(t0 + 1000 * MS, t0, t1, 0));
    }

    /** Run 21 on real Xen: a 15 s hole-map read spaced checkpoints 340 s apart; it costs the guest nothing. */
    @Test
    void aSlowHoleMapReadCountsAgainstDom0sHalfNotTheGuestsTwentieth() {
        long t0 = 5_000 * MS;
        long t1 = t0 + 15_300 * MS;   // 15 s reading the hole map, 300 ms copying and paused
        long next = oneSecond.spaced(t0 + 1000 * MS, t0, t1, 15_000 * MS);
        assertEquals(t1 + 15_300 * MS, next, "one take's length again: dom0 busy half the time");
    }

    @Test
    void aCheckpointWaitsNoLongerThanTheOverduePoint() {
        long lastCommit = 0;
        long t0 = 50_000 * MS;
        long t1 = t0 + 5_000 * MS;   // a take that cost the guest 5 s: spaced 95 s on
        long spaced = oneSecond.spaced(t0 + 1000 * MS, t0, t1, 0);
        assertEquals(t1 + 95_000 * MS, spaced);
        long capped = oneSecond.afterTry(t0 + 1000 * MS, t0, t1, 0, t1, lastCommit);
        assertEquals(60_000 * MS + 1 * MS, capped, "60 intervals after the last commit");
        // Already overdue: at once, not in the past.
        assertEquals(70_000 * MS, oneSecond.afterTry(t0, t0, t1, 0, 70_000 * MS, lastCommit));
    }

    @Test
    void aLongPauseIsPutOffUntilTheCheckpointIsOverdue() {
        long lastCommit = 0;
        assertTrue(oneSecond.mayPause(50 * MS, 10_000 * MS, lastCommit), "a twentieth of the interval is allowed");
        assertFalse(oneSecond.mayPause(51 * MS, 10_000 * MS, lastCommit));
        assertFalse(oneSecond.overdue(60_000 * MS, lastCommit));
        assertTrue(oneSecond.overdue(60_000 * MS + 1, lastCommit));
        assertTrue(oneSecond.mayPause(5_000 * MS, 60_001 * MS, lastCommit), "overdue: taken whatever it costs");
    }
}
