package org.xenpostcopy.migration.prepaging;

/**
 * The paper's bubbling with a single pivot ({@code --prepaging bubble}; Hines and Gopalan, VEE'09 §3.2, figure 3).
 * The pivot starts at gfn 0; from it the bubble widens both ways in lock-step ({@link WideningBubble}), skipping
 * pages already sent, until it covers all of memory. A fault on a page not yet sent — a network fault — moves the
 * pivot there and starts the width again; a fault on a page already sent (on its way) leaves the pivot where it is,
 * as in the paper's {@code PageFault}. Once the bubble covers memory, anything still unsent (a claim given back
 * after a cut) starts a new bubble at the lowest such gfn.
 */
public final class DualBubble implements PrePagingPolicy {
    private final SentView sent;
    private WideningBubble bubble;

    public DualBubble(SentView sent) {
        this.sent = sent;
        this.bubble = new WideningBubble(0);
    }

    @Override
    public synchronized long next() {
        while (true) {
            long g = bubble.next(sent, 0, sent.size() - 1);
            if (g >= 0) {
                return g;
            }
            long unsent = sent.nextUnsent(0);
            if (unsent < 0) {
                return -1;
            }
            bubble = new WideningBubble(unsent);
        }
    }

    @Override
    public synchronized void onFault(long gfn) {
        if (gfn < 0 || gfn >= sent.size() || sent.isSent(gfn)) {
            return;
        }
        bubble = new WideningBubble(gfn);
    }

    synchronized long pivot() {
        return bubble.pivot;
    }
}
