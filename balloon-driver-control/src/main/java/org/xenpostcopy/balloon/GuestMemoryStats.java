package org.xenpostcopy.balloon;

import java.util.Optional;
import java.util.function.Function;

/**
 * What a guest reports about its memory, read from its xenstore {@code data/} directory (KiB, as Xen's tools use),
 * plus what the toolstack set ({@code memory/target}, {@code memory/static-max}).
 *
 * @param pressureEvents a counter the guest raises whenever an allocation found no free page
 */
public record GuestMemoryStats(long targetKiB, long staticMaxKiB, long totalKiB, long freeKiB, long usedKiB,
                               long pressureEvents) {
    public static final String TARGET = "memory/target";
    public static final String STATIC_MAX = "memory/static-max";
    public static final String TOTAL = "data/meminfo_total";
    public static final String FREE = "data/meminfo_free";
    public static final String USED = "data/meminfo_used";
    public static final String PRESSURE = "data/memory_pressure";

    /** Why stats could not be read: the first key that was missing or bad, and what was wrong. */
    public record Problem(String key, String what) {
        @Override
        public String toString() {
            return key + " " + what;
        }
    }

    /**
     * Reads and checks the figures of one domain: every key must be present, a whole number of KiB, and
     * plausible (free and used within total, total and target within static-max).
     *
     * @param read reads a key relative to the domain's xenstore home
     * @return the stats, or the problem that made them unusable
     */
    public static Result read(Function<String, Optional<String>> read) {
        long[] v = new long[6];
        String[] keys = {TARGET, STATIC_MAX, TOTAL, FREE, USED, PRESSURE};
        for (int i = 0; i < keys.length; i++) {
            Optional<String> raw = read.apply(keys[i]);
            if (raw.isEmpty()) {
                return new Result(null, new Problem(keys[i], "is missing"));
            }
            try {
                v[i] = Long.parseLong(raw.get().trim());
            } catch (NumberFormatException e) {
                return new Result(null, new Problem(keys[i], "is not a whole number of KiB: \"" + raw.get() + "\""));
            }
            if (v[i] < 0) {
                return new Result(null, new Problem(keys[i], "is negative: " + v[i]));
            }
        }
        GuestMemoryStats s = new GuestMemoryStats(v[0], v[1], v[2], v[3], v[4], v[5]);
        if (s.staticMaxKiB == 0) {
            return new Result(null, new Problem(STATIC_MAX, "is 0"));
        }
        if (s.totalKiB > s.staticMaxKiB || s.targetKiB > s.staticMaxKiB) {
            return new Result(null, new Problem(TOTAL, "or target exceeds static-max " + s.staticMaxKiB
                    + " KiB (total " + s.totalKiB + ", target " + s.targetKiB + "): wrong units?"));
        }
        if (s.freeKiB > s.totalKiB || s.usedKiB > s.totalKiB) {
            return new Result(null, new Problem(FREE, "or used exceeds total " + s.totalKiB + " KiB (free "
                    + s.freeKiB + ", used " + s.usedKiB + ")"));
        }
        return new Result(s, null);
    }

    /** Either stats or a problem. */
    public record Result(GuestMemoryStats stats, Problem problem) {
        public boolean ok() {
            return stats != null;
        }
    }
}
