package org.xenpostcopy.xen.emulated;

import java.util.concurrent.TimeUnit;

/**
 * When a paced guest program's next operation may run on one vCPU. The pace is the speed of the CPU the program
 * runs on: a vCPU blocked on a paged-out gfn loses that time, as Xen's does, and does not run faster afterwards to
 * catch up. (Catching up would send a guest that faulted straight back to the push's front, where it faults again,
 * and would hide a fault's cost from the guest's throughput.) What the emulator itself delays, a timed wait that
 * wakes late or a thread the host did not schedule, is caught up, up to {@link #CATCH_UP_NANOS}: a real guest would
 * not have seen it.
 *
 * <p>Not thread-safe: one per vCPU thread.
 */
final class VcpuPace {
    /**
     * How far a vCPU may run ahead of its pace before it idles: it then works in bursts of a millisecond's
     * operations and sleeps about as long, instead of sleeping before every one. At 20,000-50,000 operations a second
     * the sleeps themselves (a timed wait on the domain's scheduling lock each) cost more than the work: six idle-ish
     * guests took 1.3 of this machine's 2 CPUs, 40 % of it in the kernel, and left migrations the rest.
     */
    static final long AHEAD_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** How much of the emulator's own delay a vCPU makes up by running faster. */
    static final long CATCH_UP_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private long nextOpAt;
    /** The vCPU's time blocked on pages, in all, when last told. */
    private long blockedSeen;

    VcpuPace(long now) {
        this.nextOpAt = now;
    }

    /**
     * How long to idle before the next operation at {@code opsPerSecond}; 0 means run it now, and it is counted
     * against the pace.
     */
    long idleBeforeNext(long now, long opsPerSecond) {
        nextOpAt = Math.max(nextOpAt, now - CATCH_UP_NANOS);
        if (nextOpAt - now > AHEAD_NANOS) {
            return nextOpAt - now;
        }
        nextOpAt += 1_000_000_000L / opsPerSecond;
        return 0;
    }

    /**
     * The vCPU has been blocked on paged-out gfns for {@code totalNanos} in all, since it started: what is new since
     * the last call is lost, not to be caught up, whatever blocked (the program's operation, or the balloon driver
     * vCPU 0 runs between them).
     */
    void blockedInAll(long totalNanos) {
        nextOpAt += totalNanos - blockedSeen;
        blockedSeen = totalNanos;
    }
}
