package org.xenpostcopy.xen.emulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The pace on a clock of its own: what a vCPU may run at one instant after a fault, and after the host's delay. */
class VcpuPaceTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long RATE = 1_000;      // one operation a millisecond

    /** Operations the pace lets run at {@code now} before it asks to idle. */
    private static int runnableAt(VcpuPace pace, long now) {
        int n = 0;
        while (pace.idleBeforeNext(now, RATE) == 0) {
            n++;
            assertTrue(n < 1_000, "the pace never asks to idle");
        }
        return n;
    }

    @Test
    void aVcpuRunsItsPaceInBurstsOfAMillisecond() {
        VcpuPace pace = new VcpuPace(0);
        assertEquals(2, runnableAt(pace, 0), "the operation due now and one more, then 1 ms ahead");
        assertEquals(1, runnableAt(pace, MS), "one a millisecond after that");
        assertEquals(5, runnableAt(pace, 6 * MS));
    }

    @Test
    void timeBlockedOnAPagedOutGfnIsLostNotCaughtUp() {
        VcpuPace pace = new VcpuPace(0);
        runnableAt(pace, 0);
        pace.blockedInAll(50 * MS);              // the last operation waited 50 ms for its page
        int ran = 0;
        for (long t = 50; t <= 60; t++) {
            ran += runnableAt(pace, t * MS);
        }
        assertEquals(10, ran, "over the 10 ms after the fault the vCPU runs its pace, and no burst to catch up");
    }

    @Test
    void eachBlockIsLostOnceHoweverOftenTheTotalIsTold() {
        VcpuPace pace = new VcpuPace(0);
        runnableAt(pace, 0);
        pace.blockedInAll(50 * MS);
        pace.blockedInAll(50 * MS);              // told again, nothing new: not lost twice
        int ran = 0;
        for (long t = 50; t <= 60; t++) {
            ran += runnableAt(pace, t * MS);
        }
        assertEquals(10, ran);
    }

    @Test
    void theEmulatorsOwnDelayIsCaughtUpToItsBound() {
        VcpuPace pace = new VcpuPace(0);
        runnableAt(pace, 0);
        // The thread woke 50 ms late with nothing blocked: up to 10 ms of it is made up.
        int burst = runnableAt(pace, 50 * MS);
        assertEquals(TimeUnit.NANOSECONDS.toMillis(VcpuPace.CATCH_UP_NANOS + VcpuPace.AHEAD_NANOS) + 1, burst);
    }
}
