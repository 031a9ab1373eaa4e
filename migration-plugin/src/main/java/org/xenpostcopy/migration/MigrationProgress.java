package org.xenpostcopy.migration;

/** Progress of a running migration, for a live progress line. Called from the migration's threads. */
@FunctionalInterface
public interface MigrationProgress {
    /**
     * The phase of a post-copy migration whose every page has been sent: only the destination's completion (and its
     * check of the guest's memory) is left, none of which needs the link. An evacuation starts its next guest then.
     */
    String LAST_PAGE_SENT = "completing";

    /** The phase of a migration that is ready to send and waits for its turn at the link (an evacuation's). */
    String WAITING_FOR_LINK = "waiting for the link";

    /**
     * @param phase      what is happening ("prepare", "push", "precopy round 3", "complete", ...)
     * @param pagesDone  pages sent so far
     * @param pagesTotal pages to send in all
     * @param networkFaults demand requests served so far
     */
    void update(String phase, long pagesDone, long pagesTotal, long networkFaults);

    MigrationProgress NONE = (phase, done, total, faults) -> { };
}
