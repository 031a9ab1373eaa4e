package org.xenpostcopy.xen.emulated;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.XenException;

/**
 * A domain's log-dirty mode ({@code xc_shadow_control}): while it is on, one bit per gfn written since the last
 * clean. Writers set bits without a lock; a clean takes each word atomically, so no write is lost between two reads.
 */
final class LogDirty {
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final DomainId id;
    private final long pages;
    private volatile long[] dirty;            // log-dirty bitmap, null when off

    LogDirty(DomainId id, long pages) {
        this.id = id;
        this.pages = pages;
    }

    void enable() {
        dirty = new long[(int) ((pages + 63) >>> 6)];
    }

    void disable() {
        dirty = null;
    }

    /** Records a write of {@code gfn}, if log-dirty is on. */
    void mark(long gfn) {
        long[] d = dirty;
        if (d != null) {
            WORDS.getAndBitwiseOr(d, (int) (gfn >>> 6), 1L << gfn);
        }
    }

    /** The gfns written since the last clean; {@code clear} makes this read the clean. */
    GfnBitmap bitmap(boolean clear) {
        long[] d = dirty;
        if (d == null) {
            throw new XenException("xc_shadow_control", Errno.EINVAL, id + " is not in log-dirty mode");
        }
        long[] words = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            words[i] = clear ? (long) WORDS.getAndSet(d, i, 0L) : (long) WORDS.getVolatile(d, i);
        }
        return GfnBitmap.fromWords(pages, words);
    }
}
