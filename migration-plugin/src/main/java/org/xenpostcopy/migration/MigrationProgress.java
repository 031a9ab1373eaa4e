package org.xenpostcopy.migration;

/** Progress of a running migration, for a live progress line. Called from the migration's threads. */
@FunctionalInterface
public interface MigrationProgress {
    /**
     * @param phase      what is happening ("prepare", "push", "precopy round 3", "complete", ...)
     * @param pagesDone  pages sent so far
     * @param pagesTotal pages to send in all
     * @param networkFaults demand requests served so far
     */
    void update(String phase, long pagesDone, long pagesTotal, long networkFaults);

    MigrationProgress NONE = (phase, done, total, faults) -> { };
}
