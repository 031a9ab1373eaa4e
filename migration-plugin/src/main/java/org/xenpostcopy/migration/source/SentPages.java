package org.xenpostcopy.migration.source;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.xenpostcopy.migration.prepaging.SentView;
import org.xenpostcopy.xen.GfnBitmap;

/**
 * The sent bitmap: one bit per gfn, claimed atomically by whoever sends the page (push or demand), so every page
 * crosses the wire exactly once. Gfns with nothing to send (ballooned out) are marked at the start and not
 * counted as sent.
 */
public final class SentPages implements SentView {
    private final long size;
    private final AtomicLongArray words;
    private final AtomicLong claimed = new AtomicLong();
    private final long toSend;

    /** @param skip gfns never to send (unpopulated at the source) */
    public SentPages(long size, GfnBitmap skip) {
        if (skip.size() != size) {
            throw new IllegalArgumentException("skip bitmap covers " + skip.size() + " gfns, not " + size);
        }
        this.size = size;
        long[] w = skip.toWords();
        this.words = new AtomicLongArray(w);
        this.toSend = size - skip.cardinality();
    }

    @Override
    public long size() {
        return size;
    }

    /** Takes the right to send {@code gfn}; true for exactly one caller. */
    public boolean claim(long gfn) {
        int i = (int) (gfn >>> 6);
        long bit = 1L << gfn;
        while (true) {
            long w = words.get(i);
            if ((w & bit) != 0) {
                return false;
            }
            if (words.compareAndSet(i, w, w | bit)) {
                claimed.incrementAndGet();
                return true;
            }
        }
    }

    @Override
    public boolean isSent(long gfn) {
        return (words.get((int) (gfn >>> 6)) & (1L << gfn)) != 0;
    }

    @Override
    public long nextUnsent(long from) {
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

    /** Pages claimed for sending so far. */
    public long claimed() {
        return claimed.get();
    }

    /** Pages there are to send in all. */
    public long toSend() {
        return toSend;
    }

    public boolean allClaimed() {
        return claimed.get() == toSend;
    }
}
