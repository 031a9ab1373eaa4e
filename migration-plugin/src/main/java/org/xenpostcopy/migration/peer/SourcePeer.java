package org.xenpostcopy.migration.peer;

/** The source, as one incoming migration's destination sees it: the urgent demand channel of one session. */
public interface SourcePeer extends AutoCloseable {
    /** Asks for the first {@code count} gfns of {@code gfns}; the reply's batch is valid until the next call. */
    Fetched fetch(long[] gfns, int count);

    /** Sends pages of reverse checkpoint {@code seq}; the batch may be reused on return. */
    void checkpointPages(long seq, PageBatch pages);

    /** Commits a checkpoint whose pages were all sent: from now on a fail-back restores it. */
    void checkpointCommit(Checkpoint checkpoint);

    @Override
    void close();
}
