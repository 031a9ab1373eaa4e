package org.xenpostcopy.migration.prepaging;

/**
 * Our first bubbling ({@code --prepaging bubble-forward}), kept beside the paper's ({@link DualBubble}) to compare:
 * from the latest fault, two edges grow outward in turn, and each edge <em>stops at the first page already
 * sent</em> ({@link BubbleEdges}); every demand request (even for a page already sent) moves the pivot. Once both
 * edges have stopped, the push goes <em>forward only</em>: from the last pivot to the next unsent page (wrapping),
 * which starts a new bubble there. For a guest sweeping memory upward the backward edge stops at once (the guest
 * has just touched what lies behind it) and the whole link goes forward.
 */
public final class ForwardBubble implements PrePagingPolicy {
    private final SentView sent;
    private BubbleEdges bubble;
    private long lastPivot;

    public ForwardBubble(SentView sent) {
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
