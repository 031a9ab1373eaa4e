package org.xenpostcopy.balloon;

import java.time.Duration;

/**
 * The self-ballooning decision, after Linux's {@code xen-selfballoon} (the paper's DSB lives on there): the goal is
 * what the guest uses plus a reserve; above the goal the target comes down by a fraction of the excess each
 * interval (gently, so a guest that is about to need memory is not starved), below it the target goes up to the goal
 * at once; changes smaller than the hysteresis are not made; the target never goes below the floor nor above
 * static-max. Pressure (the guest's pressure counter rose) deflates at once to the goal plus an extra reserve,
 * and inflation then waits a cooldown.
 *
 * @param interval          how often to decide (the paper found 4–10 s best; default 5 s)
 * @param reserveKiB        kept free above what the guest uses
 * @param floorKiB          the target never goes below this
 * @param downDivisor       above the goal, the target moves down by (target − goal) / downDivisor per interval
 * @param hysteresisKiB     no change smaller than this
 * @param pressureExtraKiB  added to the goal when pressure appears
 * @param cooldownIntervals intervals after a pressure event during which the target is not lowered
 */
public record BalloonPolicy(Duration interval, long reserveKiB, long floorKiB, int downDivisor, long hysteresisKiB,
                            long pressureExtraKiB, int cooldownIntervals) {

    public BalloonPolicy {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive");
        }
        if (reserveKiB < 0 || floorKiB < 0 || hysteresisKiB < 0 || pressureExtraKiB < 0 || cooldownIntervals < 0) {
            throw new IllegalArgumentException("reserve, floor, hysteresis, pressure extra and cooldown cannot be negative");
        }
        if (downDivisor < 1) {
            throw new IllegalArgumentException("down divisor must be at least 1");
        }
    }

    /** The defaults: 5 s, 16 MiB reserve, 64 MiB floor, down by 1/8 of the excess, 4 MiB hysteresis. */
    public static BalloonPolicy defaults() {
        return new BalloonPolicy(Duration.ofSeconds(5), 16 << 10, 64 << 10, 8, 4 << 10, 32 << 10, 2);
    }

    public BalloonPolicy withInterval(Duration d) {
        return new BalloonPolicy(d, reserveKiB, floorKiB, downDivisor, hysteresisKiB, pressureExtraKiB, cooldownIntervals);
    }

    public BalloonPolicy withReserveKiB(long r) {
        return new BalloonPolicy(interval, r, floorKiB, downDivisor, hysteresisKiB, pressureExtraKiB, cooldownIntervals);
    }

    public BalloonPolicy withFloorKiB(long f) {
        return new BalloonPolicy(interval, reserveKiB, f, downDivisor, hysteresisKiB, pressureExtraKiB, cooldownIntervals);
    }

    public BalloonPolicy withDownDivisor(int d) {
        return new BalloonPolicy(interval, reserveKiB, floorKiB, d, hysteresisKiB, pressureExtraKiB, cooldownIntervals);
    }

    /** What to do now. */
    public record Decision(long newTargetKiB, String why) {
        public boolean changes(long currentKiB) {
            return newTargetKiB != currentKiB;
        }
    }

    /**
     * Decides the next target.
     *
     * @param pressure  the guest's pressure counter rose since the last decision
     * @param cooling   a pressure event happened within the cooldown
     * @param immediate move all the way to the goal now (before a migration), not by a fraction
     */
    public Decision decide(GuestMemoryStats s, boolean pressure, boolean cooling, boolean immediate) {
        long goal = s.usedKiB() + reserveKiB + (pressure ? pressureExtraKiB : 0);
        goal = clamp(goal, s.staticMaxKiB());
        long current = s.targetKiB();
        if (pressure) {
            long up = Math.max(goal, current + pressureExtraKiB);
            return new Decision(clamp(up, s.staticMaxKiB()), "pressure: deflate");
        }
        long next;
        String why;
        if (goal < current) {
            if (cooling) {
                return new Decision(current, "cooling down after pressure");
            }
            next = immediate ? goal : current - Math.max(1, (current - goal) / downDivisor);
            why = "inflate toward " + goal + " KiB";
        } else {
            next = goal;
            why = "deflate to " + goal + " KiB";
        }
        next = clamp(next, s.staticMaxKiB());
        boolean currentInBounds = current == clamp(current, s.staticMaxKiB());
        if (currentInBounds && Math.abs(next - current) < hysteresisKiB) {
            return new Decision(current, "within hysteresis");
        }
        return new Decision(next, why);
    }

    private long clamp(long kib, long staticMax) {
        long floor = Math.min(floorKiB, staticMax);
        return Math.max(floor, Math.min(staticMax, kib));
    }
}
