package org.xenpostcopy.migration.prepaging;

/**
 * The paper's bubbling with one pivot: the push grows outward in both directions from the latest fault; each new
 * fault becomes the pivot. Before the first fault, and once the bubble is spent, the push continues from the last
 * pivot to the next unsent page (wrapping), which starts a new bubble there.
 */
public final class Bubble implements PrePagingPolicy {
    private final SentView sent;
    private BubbleEdges bubble;
    private long lastPivot;

    public Bubble(SentView sent) {
        this.sent = sent;
    }

    @Override
    public synchronized long next() {
        while (true) {
            if (bubble != null) {
                long g = bubble.next(sent);
                if (g >= 0) {
                    return g;
                }
                bubble = null;
            }
            long g = sent.nextUnsent(lastPivot);
            if (g < 0) {
                g = sent.nextUnsent(0);
            }
            if (g < 0) {
                return -1;
            }
            lastPivot = g;
            bubble = new BubbleEdges(g);
            return g;
        }
    }

    @Override
    public synchronized void onFault(long gfn) {
        if (gfn < 0 || gfn >= sent.size()) {
            return;
        }
        lastPivot = gfn;
        bubble = new BubbleEdges(gfn);
    }
}
