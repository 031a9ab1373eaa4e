package org.xenpostcopy.migration.prepaging;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The paper's bubbling with multiple pivots ({@code --prepaging multibubble}; VEE'09 §3.2): the last {@code k}
 * network faults each keep a bubble widening both ways in lock-step ({@link WideningBubble}), and an edge stops
 * where it meets another bubble's territory, so no two bubbles push the same region. The bubbles take turns, one
 * page each (a new fault's bubble first: the pages right around a fault are the likeliest next touches); a
 * {@code k+1}-th fault retires the oldest bubble, whose territory then no longer stops anyone. As in
 * {@link DualBubble}, only a fault on a page not yet sent is a pivot, and with no bubble left the push starts one
 * at the next unsent gfn.
 */
public final class MultiBubble implements PrePagingPolicy {
    private final SentView sent;
    private final int pivots;
    /** Oldest first: the one a new fault retires. */
    private final List<WideningBubble> byAge = new ArrayList<>();
    /** Whose turn it is: the head pushes next. */
    private final ArrayDeque<WideningBubble> turns = new ArrayDeque<>();
    private long cursor;

    public MultiBubble(SentView sent, int pivots) {
        if (pivots < 1) {
            throw new IllegalArgumentException("pivots must be at least 1");
        }
        this.sent = sent;
        this.pivots = pivots;
    }

    @Override
    public synchronized long next() {
        while (true) {
            while (!turns.isEmpty()) {
                WideningBubble b = turns.pollFirst();
                long g = nextOf(b);
                if (g >= 0) {
                    turns.addLast(b);
                    return g;
                }
                byAge.remove(b);
            }
            long unsent = sent.nextUnsent(cursor);
            if (unsent < 0) {
                unsent = sent.nextUnsent(0);
            }
            if (unsent < 0) {
                return -1;
            }
            cursor = unsent;
            add(new WideningBubble(unsent));
        }
    }

    /** The next page of {@code b}, its edges limited by the others' territories; -1 if it is spent. */
    private long nextOf(WideningBubble b) {
        long lowest = 0;
        long highest = sent.size() - 1;
        for (WideningBubble o : byAge) {
            if (o == b) {
                continue;
            }
            if (o.contains(b.pivot)) {
                return -1;     // swallowed: another bubble already covers where this one began
            }
            if (o.high() < b.pivot) {
                lowest = Math.max(lowest, o.high() + 1);
            } else if (o.low() > b.pivot) {
                highest = Math.min(highest, o.low() - 1);
            }
        }
        return b.next(sent, lowest, highest);
    }

    @Override
    public synchronized void onFault(long gfn) {
        if (gfn < 0 || gfn >= sent.size() || sent.isSent(gfn)) {
            return;
        }
        add(new WideningBubble(gfn));
    }

    private void add(WideningBubble fresh) {
        if (byAge.size() == pivots) {
            WideningBubble oldest = byAge.remove(0);
            turns.remove(oldest);
        }
        byAge.add(fresh);
        turns.addFirst(fresh);
    }

    synchronized int activeBubbles() {
        return byAge.size();
    }
}
