package org.xenpostcopy.migration.prepaging;

/** What a policy may ask about the pages already sent (or never to be sent, such as ballooned-out ones). */
public interface SentView {
    /** Number of gfns. */
    long size();

    boolean isSent(long gfn);

    /** The first unsent gfn at or after {@code from}, or -1. */
    long nextUnsent(long from);

    /**
     * The last unsent gfn at or before {@code from}, or -1. The default walks bit by bit; a bitmap answers word by
     * word.
     */
    default long previousUnsent(long from) {
        for (long g = Math.min(from, size() - 1); g >= 0; g--) {
            if (!isSent(g)) {
                return g;
            }
        }
        return -1;
    }
}
