package org.xenpostcopy.migration.prepaging;

/**
 * Active push in gfn order, from 0 up; faults are served on demand but do not move the cursor. Past the end it
 * looks again from 0: a page whose claim was given back (lost in a cut, unreadable once) lies behind the cursor.
 */
public final class LinearPush implements PrePagingPolicy {
    private final SentView sent;
    private long cursor;

    public LinearPush(SentView sent) {
        this.sent = sent;
    }

    @Override
    public synchronized long next() {
        long g = sent.nextUnsent(cursor);
        if (g < 0 && cursor > 0) {
            g = sent.nextUnsent(0);
        }
        if (g < 0) {
            return -1;
        }
        cursor = g + 1;
        return g;
    }

    @Override
    public void onFault(long gfn) {
        // linear push ignores where the guest works
    }
}
