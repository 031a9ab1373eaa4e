package org.xenpostcopy.migration.prepaging;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * Bubbling around several pivots at once: the last {@code k} faults each keep a bubble, served round-robin, so a
 * guest working in several regions gets all of them pre-paged (the paper's best was about 7 pivots). A new fault
 * replaces the oldest bubble; spent bubbles drop out. With no bubble left it continues from the newest pivot.
 */
public final class MultiBubble implements PrePagingPolicy {
    private final SentView sent;
    private final int pivots;
    private final ArrayDeque<BubbleEdges> bubbles = new ArrayDeque<>();
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
        }
        long g = sent.nextUnsent(lastPivot);
        if (g < 0) {
            g = sent.nextUnsent(0);
        }
        if (g < 0) {
            return -1;
        }
        lastPivot = g;
        bubbles.addLast(new BubbleEdges(g));
        return g;
    }

    @Override
    public synchronized void onFault(long gfn) {
        if (gfn < 0 || gfn >= sent.size()) {
            return;
        }
        for (Iterator<BubbleEdges> it = bubbles.iterator(); it.hasNext(); ) {
            if (it.next().pivot == gfn) {
                it.remove();
            }
        }
        if (bubbles.size() == pivots) {
            bubbles.pollFirst();
        }
        bubbles.addLast(new BubbleEdges(gfn));
        lastPivot = gfn;
    }

    synchronized int activeBubbles() {
        return bubbles.size();
    }
}
