package org.xenpostcopy.migration.peer;

/**
 * What the destination reports once every page has been loaded: the session's closing record.
 *
 * @param postCopyNanos        from resume to the last page loaded, at the destination
 * @param guestOpsAtResume     guest operations counted at resume (-1 if the host cannot tell)
 * @param guestOpsAtCompletion likewise when the last page was loaded
 * @param networkFaults        first touches of post-copy pages that had to be fetched from the source
 * @param minorFaults          first touches of post-copy pages that pre-paging had brought (-1 if unknown)
 * @param guestPagesTouched    distinct pages the guest touched from resume to the last page (-1 if unknown)
 * @param checkpoints          reverse checkpoints the destination took
 * @param checkpointPauseMs    the time its guest stood paused for them, in all
 * @param checkpointsDeferred  checkpoints put off because their pause would have been too long
 */
public record Completion(long pagesReceived, long duplicatePages, long networkFaults, long minorFaults,
                         Latency faultLatency, long postCopyNanos, long guestOpsAtResume, long guestOpsAtCompletion,
                         long guestPagesTouched, boolean verified, long mismatchedPages, String verificationNote,
                         int destinationDomid, long checkpoints, double checkpointPauseMs, long checkpointsDeferred) {

    public Completion(long pagesReceived, long duplicatePages, long networkFaults, long minorFaults,
                      Latency faultLatency, long postCopyNanos, long guestOpsAtResume, long guestOpsAtCompletion,
                      long guestPagesTouched, boolean verified, long mismatchedPages, String verificationNote,
                      int destinationDomid) {
        this(pagesReceived, duplicatePages, networkFaults, minorFaults, faultLatency, postCopyNanos, guestOpsAtResume,
                guestOpsAtCompletion, guestPagesTouched, verified, mismatchedPages, verificationNote, destinationDomid,
                0, 0, 0);
    }

    /** This record with the destination's checkpoint counts. */
    public Completion withCheckpoints(long taken, double pauseMs, long deferred) {
        return new Completion(pagesReceived, duplicatePages, networkFaults, minorFaults, faultLatency, postCopyNanos,
                guestOpsAtResume, guestOpsAtCompletion, guestPagesTouched, verified, mismatchedPages, verificationNote,
                destinationDomid, taken, pauseMs, deferred);
    }

    /** Percentiles in microseconds. */
    public record Latency(double p50Us, double p99Us, double maxUs) {
    }
}
