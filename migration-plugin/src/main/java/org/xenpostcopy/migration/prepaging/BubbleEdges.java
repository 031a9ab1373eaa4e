package org.xenpostcopy.migration.prepaging;

/**
 * One bubble of {@link ForwardBubble}: two edges growing outward from a pivot, forward and backward in turn. An
 * edge stops where it meets a page already sent (or the end of memory); the bubble is spent when both have stopped.
 */
final class BubbleEdges {
    private long forward;
    private long backward;
    private boolean forwardOpen = true;
    private boolean backwardOpen = true;
    private boolean forwardTurn = true;

    BubbleEdges(long pivot) {
        this.forward = pivot + 1;
        this.backward = pivot - 1;
    }

    /** The next unsent page of this bubble, or -1 once both edges have stopped. */
    long next(SentView sent) {
        while (forwardOpen || backwardOpen) {
            boolean useForward = forwardOpen && (forwardTurn || !backwardOpen);
            forwardTurn = !forwardTurn;
            if (useForward) {
                if (forward >= sent.size() || sent.isSent(forward)) {
                    forwardOpen = false;
                    continue;
                }
                return forward++;
            }
            if (backward < 0 || sent.isSent(backward)) {
                backwardOpen = false;
                continue;
            }
            return backward--;
        }
        return -1;
    }
}
