package org.xenpostcopy.balloon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BalloonPolicyTest {
    private static final long MiB = 1024;
    private final BalloonPolicy policy = new BalloonPolicy(Duration.ofSeconds(5), 16 * MiB, 64 * MiB, 8, 4 * MiB,
            32 * MiB, 2);

    private static GuestMemoryStats stats(long target, long used, long pressure) {
        return new GuestMemoryStats(target, 1024 * MiB, target, target - used, used, pressure);
    }

    @Test
    void inflatesByAnEighthOfTheExcessPerInterval() {
        BalloonPolicy.Decision d = policy.decide(stats(1024 * MiB, 200 * MiB, 0), false, false, false);
        long goal = 216 * MiB;
        assertEquals(1024 * MiB - (1024 * MiB - goal) / 8, d.newTargetKiB());
    }

    @Test
    void beforeAMigrationItGoesToTheGoalAtOnce() {
        assertEquals(216 * MiB, policy.decide(stats(1024 * MiB, 200 * MiB, 0), false, false, true).newTargetKiB());
    }

    @Test
    void deflatesToTheGoalAtOnceWhenBelowIt() {
        assertEquals(516 * MiB, policy.decide(stats(300 * MiB, 500 * MiB, 0), false, false, false).newTargetKiB());
    }

    @Test
    void pressureDeflatesWithAnExtraReserveAndCoolingHoldsInflation() {
        BalloonPolicy.Decision d = policy.decide(stats(300 * MiB, 290 * MiB, 5), true, false, false);
        assertEquals((290 + 16 + 32) * MiB, d.newTargetKiB());
        assertTrue(d.why().contains("pressure"));
        BalloonPolicy.Decision hold = policy.decide(stats(600 * MiB, 100 * MiB, 5), false, true, false);
        assertFalse(hold.changes(600 * MiB), "no inflation while cooling down");
    }

    @Test
    void neverBelowTheFloorNorAboveStaticMax() {
        assertEquals(64 * MiB, policy.decide(stats(100 * MiB, 1 * MiB, 0), false, false, true).newTargetKiB());
        assertEquals(1024 * MiB, policy.decide(stats(1000 * MiB, 1020 * MiB, 0), true, false, false).newTargetKiB());
    }

    @Test
    void smallChangesAreNotMade() {
        BalloonPolicy.Decision d = policy.decide(stats(218 * MiB, 200 * MiB, 0), false, false, true);
        assertFalse(d.changes(218 * MiB), d.why());
    }

    @Test
    void badConfigurationIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> policy.withDownDivisor(0));
        assertThrows(IllegalArgumentException.class, () -> policy.withInterval(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> policy.withReserveKiB(-1));
    }

    @Test
    void statsWithMissingOrBadValuesAreRejectedWithTheKeyNamed() {
        Map<String, String> good = Map.of("memory/target", "1048576", "memory/static-max", "1048576",
                "data/meminfo_total", "1048576", "data/meminfo_free", "524288", "data/meminfo_used", "524288",
                "data/memory_pressure", "0");
        assertTrue(GuestMemoryStats.read(k -> Optional.ofNullable(good.get(k))).ok());
        GuestMemoryStats.Result missing = GuestMemoryStats.read(k -> k.equals("data/meminfo_free")
                ? Optional.empty() : Optional.ofNullable(good.get(k)));
        assertEquals("data/meminfo_free", missing.problem().key());
        GuestMemoryStats.Result text = GuestMemoryStats.read(k -> k.equals("memory/target")
                ? Optional.of("lots") : Optional.ofNullable(good.get(k)));
        assertTrue(text.problem().toString().contains("not a whole number of KiB"));
        // bytes instead of KiB: larger than static-max
        GuestMemoryStats.Result units = GuestMemoryStats.read(k -> k.equals("data/meminfo_total")
                ? Optional.of("1073741824") : Optional.ofNullable(good.get(k)));
        assertTrue(units.problem().toString().contains("wrong units"), units.problem().toString());
    }
}
