package org.xenpostcopy.migration.peer;

/** The source, as one incoming migration's destination sees it: the urgent demand channel of one session. */
public interface SourcePeer extends AutoCloseable {
    /** Asks for the first {@code count} gfns of {@code gfns}; the reply's batch is valid until the next call. */
    Fetched fetch(long[] gfns, int count);

    @Override
    void close();
}
