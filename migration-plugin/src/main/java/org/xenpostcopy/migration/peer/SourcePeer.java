package org.xenpostcopy.migration.peer;

/** The source, as one incoming migration's destination sees it: the urgent demand channel of one session. */
public interface SourcePeer extends AutoCloseable {
    /** Asks for the first {@code count} gfns of {@code gfns}; the reply's batch is valid until the next call. */
    Fetched fetch(long[] gfns, int count);

    /** Sends pages of reverse checkpoint {@code seq}; the batch may be reused on return. */
    void checkpointPages(long seq, PageBatch pages);

    /** Commits a checkpoint whose pages were all sent: from now on a fail-back restores it. */
    void checkpointCommit(Checkpoint checkpoint);

    /**
     * Asks, without asking for a lease, what became of the session: true if the source released the guest to the
     * destination; {@link org.xenpostcopy.migration.RemoteError#TAKEN_BACK} if it runs the guest again; else false.
     */
    boolean hasReleased();

    @Override
    void close();
}
