package org.xenpostcopy.migration.prepaging;

/**
 * One bubble of the paper's bubbling (Hines and Gopalan, VEE'09, figure 3): a pivot and a width that grows on both
 * sides in lock-step, so pages go out in order of their distance from the pivot — at equal distance the backward
 * one first, as in the paper's pseudo-code. A page already sent is skipped without costing the link anything:
 * where one side finds only sent pages (the guest has just swept there) the other side gets the whole link.
 *
 * <p>Its territory is every gfn from its backward edge to its forward edge: each one it pushed or found sent. An
 * edge stops at the end of memory or at a limit its owner gives (another bubble's territory), and stays stopped.
 * Not thread-safe: its policy holds the lock.
 */
final class WideningBubble {
    final long pivot;
    /** The next gfn each edge looks at; the territory is the gfns strictly between them. */
    private long left;
    private long right;
    private boolean leftOpen = true;
    private boolean rightOpen = true;
    private boolean pivotPending = true;

    WideningBubble(long pivot) {
        this.pivot = pivot;
        this.left = pivot - 1;
        this.right = pivot + 1;
    }

    /** The lowest gfn of the territory. */
    long low() {
        return left + 1;
    }

    /** The highest gfn of the territory. */
    long high() {
        return right - 1;
    }

    boolean contains(long gfn) {
        return gfn > left && gfn < right;
    }

    /**
     * The unsent gfn nearest the pivot within the limits, or -1 once both edges have stopped.
     *
     * @param lowest  the lowest gfn the backward edge may reach (0, or just above a bubble below)
     * @param highest the highest gfn the forward edge may reach
     */
    long next(SentView sent, long lowest, long highest) {
        if (pivotPending) {
            pivotPending = false;
            if (!sent.isSent(pivot)) {
                return pivot;
            }
        }
        long candidateLeft = -1;
        long candidateRight = -1;
        if (leftOpen) {
            candidateLeft = left < lowest ? -1 : sent.previousUnsent(left);
            if (candidateLeft < lowest) {
                // everything down to the limit is sent: the territory reaches it, and the edge stops there
                leftOpen = false;
                left = Math.min(left, lowest - 1);
            }
        }
        if (rightOpen) {
            candidateRight = right > highest ? -1 : sent.nextUnsent(right);
            if (candidateRight < 0 || candidateRight > highest) {
                rightOpen = false;
                right = Math.max(right, highest + 1);
            }
        }
        if (!leftOpen && !rightOpen) {
            return -1;
        }
        if (!rightOpen) {
            left = candidateLeft - 1;
            return candidateLeft;
        }
        if (!leftOpen) {
            right = candidateRight + 1;
            return candidateRight;
        }
        long backward = pivot - candidateLeft;
        long forward = candidateRight - pivot;
        if (backward <= forward) {
            left = candidateLeft - 1;
            // the forward edge has found only sent pages up to the same distance: it is there as well
            right = Math.max(right, Math.min(candidateRight, pivot + backward + 1));
            return candidateLeft;
        }
        right = candidateRight + 1;
        left = Math.min(left, Math.max(candidateLeft, pivot - forward - 1));
        return candidateRight;
    }
}
