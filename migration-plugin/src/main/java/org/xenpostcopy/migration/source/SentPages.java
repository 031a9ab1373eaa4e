package org.xenpostcopy.migration.source;

import java.util.concurrent.atomic.AtomicLong;
import org.xenpostcopy.migration.prepaging.SentView;
import org.xenpostcopy.xen.AtomicGfnBitmap;
import org.xenpostcopy.xen.GfnBitmap;

/**
 * The sent bitmap: one bit per gfn, claimed atomically by whoever sends the page (push or demand), so every page
 * crosses the wire exactly once. Gfns with nothing to send (ballooned out) are marked at the start and not
 * counted as sent.
 */
public final class SentPages implements SentView {
    private final AtomicGfnBitmap sent;
    /** Gfns with nothing to send: never given back by {@link #reclaimMissing}, whatever a peer says. */
    private final GfnBitmap skip;
    private final AtomicLong claimed = new AtomicLong();
    private final long toSend;

    /** @param skip gfns never to send (unpopulated at the source) */
    public SentPages(long size, GfnBitmap skip) {
        if (skip.size() != size) {
            throw new IllegalArgumentException("skip bitmap covers " + skip.size() + " gfns, not " + size);
        }
        this.sent = new AtomicGfnBitmap(skip);
        this.skip = skip.copy();
        this.toSend = size - skip.cardinality();
    }

    /**
     * Every gfn counted as sent and nothing skipped: where a restarted daemon starts, until the destination names
     * what it still misses ({@link #reclaimMissing}).
     */
    public static SentPages allSent(long size) {
        SentPages s = new SentPages(size, new GfnBitmap(size));
        for (long g = 0; g < size; g++) {
            s.claim(g);
        }
        return s;
    }

    @Override
    public long size() {
        return sent.size();
    }

    /** Takes the right to send {@code gfn}; true for exactly one caller. */
    public boolean claim(long gfn) {
        if (sent.setIfClear(gfn)) {
            claimed.incrementAndGet();
            return true;
        }
        return false;
    }

    /** Gives a claim back: the page could not be sent after all, so the push or a later fault sends it. */
    public void unclaim(long gfn) {
        sent.clear(gfn);
        claimed.decrementAndGet();
    }

    /**
     * After a cut: gives back the claim of every page the destination says it still misses — such a page was
     * lost in flight, or is still on its way (then it arrives twice and the second copy is dropped there).
     * Returns how many claims were given back: the pages that will be sent again.
     */
    public long reclaimMissing(GfnBitmap missing) {
        if (missing.size() != sent.size()) {
            throw new IllegalArgumentException("the missing bitmap covers " + missing.size() + " gfns, not "
                    + sent.size());
        }
        long[] given = {0};
        missing.forEach(g -> {
            if (!skip.get(g) && sent.clearIfSet(g)) {
                claimed.decrementAndGet();
                given[0]++;
            }
        });
        return given[0];
    }

    @Override
    public boolean isSent(long gfn) {
        return sent.get(gfn);
    }

    @Override
    public long nextUnsent(long from) {
        return sent.nextClear(from);
    }

    @Override
    public long previousUnsent(long from) {
        return sent.previousClear(from);
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
