package org.xenpostcopy.xen.emulated.guest;

import java.nio.ByteBuffer;
import org.xenpostcopy.xen.Gfn;

/**
 * The content of a guest data page: {@code gfn} at byte 0, {@code version} at byte 8, then 510 words derived
 * from (seed, gfn, version). Any other version, any other gfn's page, a zeroed or scrubbed page, or a single
 * flipped bit fails {@link #matches}.
 */
public final class PagePattern {
    private PagePattern() {
    }

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static long base(long seed, long gfn, long version) {
        return mix(seed ^ mix(gfn * GOLDEN + version));
    }

    /** Writes the page for (seed, gfn, version) at {@code buf[off..off+4096)}. */
    public static void fill(ByteBuffer buf, int off, long seed, long gfn, long version) {
        long b = base(seed, gfn, version);
        buf.putLong(off, gfn);
        buf.putLong(off + 8, version);
        long w = b;
        for (int i = 16; i < Gfn.PAGE_SIZE; i += 8) {
            w += GOLDEN;
            buf.putLong(off + i, w ^ (w >>> 29));
        }
    }

    /** Whether {@code buf[off..off+4096)} is exactly the page for (seed, gfn, version). */
    public static boolean matches(ByteBuffer buf, int off, long seed, long gfn, long version) {
        if (buf.getLong(off) != gfn || buf.getLong(off + 8) != version) {
            return false;
        }
        long w = base(seed, gfn, version);
        long diff = 0;
        for (int i = 16; i < Gfn.PAGE_SIZE; i += 8) {
            w += GOLDEN;
            diff |= buf.getLong(off + i) ^ (w ^ (w >>> 29));
        }
        return diff == 0;
    }

    /** The version the page claims to have (byte 8), for diagnostics. */
    public static long claimedVersion(ByteBuffer buf, int off) {
        return buf.getLong(off + 8);
    }

    /** The gfn the page claims to be (byte 0), for diagnostics. */
    public static long claimedGfn(ByteBuffer buf, int off) {
        return buf.getLong(off);
    }
}
