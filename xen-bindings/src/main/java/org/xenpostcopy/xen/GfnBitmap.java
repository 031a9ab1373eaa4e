package org.xenpostcopy.xen;

import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * A set of gfns of one domain, one bit per gfn, as Xen's dirty bitmaps are. Not thread-safe: it is a value
 * handed between threads, not shared by them.
 */
public final class GfnBitmap {
    private final long size;
    private final long[] words;

    public GfnBitmap(long size) {
        if (size < 0 || size > (long) Integer.MAX_VALUE * 64) {
            throw new IllegalArgumentException("bitmap size out of range: " + size);
        }
        this.size = size;
        this.words = new long[(int) ((size + 63) >>> 6)];
    }

    private GfnBitmap(long size, long[] words) {
        this.size = size;
        this.words = words;
    }

    /** A bitmap over {@code size} gfns from its little-endian words (as Xen's bitmaps are laid out). */
    public static GfnBitmap fromWords(long size, long[] words) {
        GfnBitmap b = new GfnBitmap(size);
        if (words.length != b.words.length) {
            throw new IllegalArgumentException("bitmap of " + size + " gfns needs " + b.words.length + " words, got " + words.length);
        }
        System.arraycopy(words, 0, b.words, 0, words.length);
        int tail = (int) (size & 63);
        if (tail != 0 && (words[words.length - 1] >>> tail) != 0) {
            throw new IllegalArgumentException("bitmap has bits set beyond gfn " + (size - 1));
        }
        return b;
    }

    public static GfnBitmap full(long size) {
        GfnBitmap b = new GfnBitmap(size);
        b.setRange(0, size);
        return b;
    }

    public long size() {
        return size;
    }

    /**
     * This bitmap over {@code newSize} gfns: cut to its first {@code newSize}, or with clear bits added. Word by
     * word, for bitmaps of a whole guest compared inside its pause.
     */
    public GfnBitmap resized(long newSize) {
        GfnBitmap b = new GfnBitmap(newSize);
        System.arraycopy(words, 0, b.words, 0, Math.min(words.length, b.words.length));
        int tail = (int) (newSize & 63);
        if (tail != 0 && newSize < size) {
            b.words[b.words.length - 1] &= (1L << tail) - 1;
        }
        return b;
    }

    public long[] toWords() {
        return words.clone();
    }

    private void check(long gfn) {
        if (gfn < 0 || gfn >= size) {
            throw new IndexOutOfBoundsException("gfn " + gfn + " outside 0.." + (size - 1));
        }
    }

    public boolean get(long gfn) {
        check(gfn);
        return (words[(int) (gfn >>> 6)] & (1L << gfn)) != 0;
    }

    public void set(long gfn) {
        check(gfn);
        words[(int) (gfn >>> 6)] |= 1L << gfn;
    }

    public void clear(long gfn) {
        check(gfn);
        words[(int) (gfn >>> 6)] &= ~(1L << gfn);
    }

    /** Sets gfns {@code from} (inclusive) to {@code to} (exclusive). */
    public void setRange(long from, long to) {
        if (from < 0 || to > size || from > to) {
            throw new IndexOutOfBoundsException("range " + from + ".." + to + " outside 0.." + size);
        }
        for (long g = from; g < to; ) {
            if ((g & 63) == 0 && to - g >= 64) {
                words[(int) (g >>> 6)] = -1L;
                g += 64;
            } else {
                words[(int) (g >>> 6)] |= 1L << g;
                g++;
            }
        }
    }

    public long cardinality() {
        long n = 0;
        for (long w : words) {
            n += Long.bitCount(w);
        }
        return n;
    }

    public boolean isEmpty() {
        for (long w : words) {
            if (w != 0) {
                return false;
            }
        }
        return true;
    }

    /** The first set gfn at or after {@code from}, or -1. */
    public long nextSet(long from) {
        if (from >= size) {
            return -1;
        }
        int i = (int) (from >>> 6);
        long w = words[i] & (-1L << from);
        while (true) {
            if (w != 0) {
                long g = ((long) i << 6) + Long.numberOfTrailingZeros(w);
                return g < size ? g : -1;
            }
            if (++i == words.length) {
                return -1;
            }
            w = words[i];
        }
    }

    /** Adds every gfn of {@code other} (same size) to this one. */
    public void or(GfnBitmap other) {
        sameSize(other);
        for (int i = 0; i < words.length; i++) {
            words[i] |= other.words[i];
        }
    }

    /** Removes every gfn of {@code other} (same size) from this one. */
    public void andNot(GfnBitmap other) {
        sameSize(other);
        for (int i = 0; i < words.length; i++) {
            words[i] &= ~other.words[i];
        }
    }

    private void sameSize(GfnBitmap other) {
        if (other.size != size) {
            throw new IllegalArgumentException("bitmaps of " + size + " and " + other.size + " gfns");
        }
    }

    public void forEach(LongConsumer action) {
        for (int i = 0; i < words.length; i++) {
            long w = words[i];
            while (w != 0) {
                action.accept(((long) i << 6) + Long.numberOfTrailingZeros(w));
                w &= w - 1;
            }
        }
    }

    public GfnBitmap copy() {
        return new GfnBitmap(size, words.clone());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GfnBitmap b && b.size == size && Arrays.equals(b.words, words);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(size) * 31 + Arrays.hashCode(words);
    }

    @Override
    public String toString() {
        return "GfnBitmap[" + cardinality() + " of " + size + "]";
    }
}
