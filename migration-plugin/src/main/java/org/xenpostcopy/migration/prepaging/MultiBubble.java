package org.xenpostcopy.migration.prepaging;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * Bubbling around several pivots at once: the last {@code k} faults each keep a bubble, served round-robin, so a
 * guest working in several regions gets all of them pre-paged (the paper's best was about 7 pivots). A new fault's
 * bubble is served first (the pages right after a fault are the likeliest next touches) and replaces the oldest
 * bubble; spent bubbles drop out. With no bubble left it continues from the newest pivot.
 */
public final class MultiBubble implements PrePagingPolicy {
    private final SentView sent;
    private final int pivots;
    private final ArrayDeque<BubbleEdges> bubbles = new ArrayDeque<>();
    private final java.util.IdentityHashMap<BubbleEdges, Long> born = new java.util.IdentityHashMap<>();
    private long faults;
    private long lastPivot;

    public MultiBubble(SentView sent, int pivots) {
        if (pivots < 1) {
            throw new IllegalArgumentException("pivots must be at least 1");
        }
        this.sent = sent;
        this.pivots = pivots;
    }

    @Override
    public synchronized long next() {
        while (!bubbles.isEmpty()) {
            BubbleEdges b = bubbles.pollFirst();
            long g = b.next(sent);
            if (g >= 0) {
                bubbles.addLast(b);   // round-robin
                return g;
            }
            born.remove(b);
        }
        long g = sent.nextUnsent(lastPivot);
        if (g < 0) {
            g = sent.nextUnsent(0);
        }
        if (g < 0) {
            return -1;
        }
        lastPivot = g;
        BubbleEdges fresh = new BubbleEdges(g);
        born.put(fresh, faults);
        bubbles.addLast(fresh);
        return g;
    }

    @Override
    public synchronized void onFault(long gfn) {
        if (gfn < 0 || gfn >= sent.size()) {
            return;
        }
        for (Iterator<BubbleEdges> it = bubbles.iterator(); it.hasNext(); ) {
            BubbleEdges b = it.next();
            if (b.pivot == gfn) {
                it.remove();
                born.remove(b);
            }
        }
        if (bubbles.size() == pivots) {
            BubbleEdges oldest = bubbles.stream().min(java.util.Comparator.comparingLong(born::get)).orElseThrow();
            bubbles.remove(oldest);
            born.remove(oldest);
        }
        BubbleEdges fresh = new BubbleEdges(gfn);
        born.put(fresh, ++faults);
        bubbles.addFirst(fresh);
        lastPivot = gfn;
    }

    synchronized int activeBubbles() {
        return bubbles.size();
    }
}
