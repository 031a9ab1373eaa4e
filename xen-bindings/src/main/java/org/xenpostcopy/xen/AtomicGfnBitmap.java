package org.xenpostcopy.xen;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A {@link GfnBitmap} that several threads set at once: one bit per gfn, set with compare-and-set, so exactly one
 * caller wins each bit. The "sent" bitmap of a source (push and demand race to send a page) and the "loaded"
 * bitmap of a destination (push and demand race to load one) are this.
 */
public final class AtomicGfnBitmap {
    private final long size;
    private final AtomicLongArray words;

    public AtomicGfnBitmap(long size) {
        this(GfnBitmap.fromWords(size, new long[(int) ((size + 63) >>> 6)]));
    }

    /** Starts with the bits of {@code initial} set. */
    public AtomicGfnBitmap(GfnBitmap initial) {
        this.size = initial.size();
        this.words = new AtomicLongArray(initial.toWords());
    }

    public long size() {
        return size;
    }

    public boolean get(long gfn) {
        return (words.get((int) (gfn >>> 6)) & (1L << gfn)) != 0;
    }

    /** Sets the bit of {@code gfn}; true for exactly one caller, the one that set it. */
    public boolean setIfClear(long gfn) {
        int i = (int) (gfn >>> 6);
        long bit = 1L << gfn;
        while (true) {
            long w = words.get(i);
            if ((w & bit) != 0) {
                return false;
            }
            if (words.compareAndSet(i, w, w | bit)) {
                return true;
            }
        }
    }

    /** Clears the bit of {@code gfn} (a claim given back: the page was not sent after all). */
    public void clear(long gfn) {
        int i = (int) (gfn >>> 6);
        long bit = 1L << gfn;
        long w;
        do {
            w = words.get(i);
        } while (!words.compareAndSet(i, w, w & ~bit));
    }

    /** Clears the bit of {@code gfn}; true for exactly one caller, the one that cleared it. */
    public boolean clearIfSet(long gfn) {
        int i = (int) (gfn >>> 6);
        long bit = 1L << gfn;
        while (true) {
            long w = words.get(i);
            if ((w & bit) == 0) {
                return false;
            }
            if (words.compareAndSet(i, w, w & ~bit)) {
                return true;
            }
        }
    }

    /** A copy, word by word: each word is read atomically, the whole is not (bits may move while it is taken). */
    public GfnBitmap snapshot() {
        long[] copy = new long[words.length()];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = words.get(i);
        }
        return GfnBitmap.fromWords(size, copy);
    }

    /** The first gfn at or after {@code from} whose bit is clear, or -1. */
    public long nextClear(long from) {
        if (from < 0) {
            from = 0;
        }
        if (from >= size) {
            return -1;
        }
        int i = (int) (from >>> 6);
        long w = ~words.get(i) & (-1L << from);
        while (true) {
            if (w != 0) {
                long g = ((long) i << 6) + Long.numberOfTrailingZeros(w);
                return g < size ? g : -1;
            }
            if (++i == words.length()) {
                return -1;
            }
            w = ~words.get(i);
        }
    }

    /** The last gfn at or before {@code from} whose bit is clear, or -1 (the backward twin of {@link #nextClear}). */
    public long previousClear(long from) {
        if (from < 0) {
            return -1;
        }
        if (from >= size) {
            from = size - 1;
        }
        int i = (int) (from >>> 6);
        // bits 0..(from % 64) of the word: a shift by 63 - (from % 64) keeps them
        long w = ~words.get(i) & (-1L >>> (63 - (from & 63)));
        while (true) {
            if (w != 0) {
                return ((long) i << 6) + 63 - Long.numberOfLeadingZeros(w);
            }
            if (--i < 0) {
                return -1;
            }
            w = ~words.get(i);
        }
    }
}
