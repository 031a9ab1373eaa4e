package org.xenpostcopy.migration.prepaging;

/** What a policy may ask about the pages already sent (or never to be sent, such as ballooned-out ones). */
public interface SentView {
    /** Number of gfns. */
    long size();

    boolean isSent(long gfn);

    /** The first unsent gfn at or after {@code from}, or -1. */
    long nextUnsent(long from);
}
