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
 * @param faultLatency         the pager's side of a fault: from its request leaving the ring to its answer
 * @param guest                what the guest lived through here, where the host can tell
 * @param wire                 what the destination's own connections (demand, checkpoints) carried
 * @param pagerWaits           the pager's side of its faults split by what brought the page
 */
public record Completion(long pagesReceived, long duplicatePages, long networkFaults, long minorFaults,
                         Latency faultLatency, long postCopyNanos, long guestOpsAtResume, long guestOpsAtCompletion,
                         long guestPagesTouched, boolean verified, long mismatchedPages, String verificationNote,
                         int destinationDomid, long checkpoints, double checkpointPauseMs, long checkpointsDeferred,
                         GuestTime guest, Wire wire, PagerWaits pagerWaits) {

    public Completion(long pagesReceived, long duplicatePages, long networkFaults, long minorFaults,
                      Latency faultLatency, long postCopyNanos, long guestOpsAtResume, long guestOpsAtCompletion,
                      long guestPagesTouched, boolean verified, long mismatchedPages, String verificationNote,
                      int destinationDomid) {
        this(pagesReceived, duplicatePages, networkFaults, minorFaults, faultLatency, postCopyNanos, guestOpsAtResume,
                guestOpsAtCompletion, guestPagesTouched, verified, mismatchedPages, verificationNote, destinationDomid,
                0, 0, 0, GuestTime.UNKNOWN, Wire.NONE, PagerWaits.UNKNOWN);
    }

    /** This record with the destination's checkpoint counts. */
    public Completion withCheckpoints(long taken, double pauseMs, long deferred) {
        return new Completion(pagesReceived, duplicatePages, networkFaults, minorFaults, faultLatency, postCopyNanos,
                guestOpsAtResume, guestOpsAtCompletion, guestPagesTouched, verified, mismatchedPages, verificationNote,
                destinationDomid, taken, pauseMs, deferred, guest, wire, pagerWaits);
    }

    /** This record with what the guest lived through and what the destination's connections carried. */
    public Completion withMeasures(GuestTime guestTime, Wire wireBytes) {
        return new Completion(pagesReceived, duplicatePages, networkFaults, minorFaults, faultLatency, postCopyNanos,
                guestOpsAtResume, guestOpsAtCompletion, guestPagesTouched, verified, mismatchedPages, verificationNote,
                destinationDomid, checkpoints, checkpointPauseMs, checkpointsDeferred, guestTime, wireBytes,
                pagerWaits);
    }

    /** This record with the pager's waits split by what brought the page. */
    public Completion withPagerWaits(PagerWaits waits) {
        return new Completion(pagesReceived, duplicatePages, networkFaults, minorFaults, faultLatency, postCopyNanos,
                guestOpsAtResume, guestOpsAtCompletion, guestPagesTouched, verified, mismatchedPages, verificationNote,
                destinationDomid, checkpoints, checkpointPauseMs, checkpointsDeferred, guest, wire, waits);
    }

    /**
     * The migration as the guest saw it at the destination.
     *
     * @param vcpuBlocked how long its vCPUs stayed blocked per fault on a page not yet here (null: the host cannot tell)
     * @param firstRanMs  from the resume call's arrival to the guest's first instant here (-1: the host cannot tell)
     */
    public record GuestTime(Latency vcpuBlocked, double firstRanMs) {
        public static final GuestTime UNKNOWN = new GuestTime(null, -1);
    }

    /**
     * Bytes through the sockets of the connections the destination opened.
     *
     * @param toSource   written by the destination (fetch requests, checkpoints)
     * @param toDestination read by it (the pages those fetches brought)
     */
    public record Wire(long toSource, long toDestination) {
        public static final Wire NONE = new Wire(0, 0);
    }

    /**
     * The pager's waits (a request off the ring until answered) split by what brought the page: where a fault's tail
     * comes from, the demand channel or the push (the source had sent the page already, or the push beat the fetch).
     *
     * @param byFetch     the requests a fetch's reply answered
     * @param byPush      the requests a pushed page answered
     * @param alreadyHere the requests whose page had landed before they left the ring (answered at once)
     */
    public record PagerWaits(Waits byFetch, Waits byPush, Waits alreadyHere) {
        /** Not counted (an older destination). */
        public static final PagerWaits UNKNOWN = new PagerWaits(Waits.UNKNOWN, Waits.UNKNOWN, Waits.UNKNOWN);
    }

    /**
     * @param requests requests off the ring, -1 if not counted (two vCPUs on one page are two)
     * @param latency  how long they waited
     */
    public record Waits(long requests, Latency latency) {
        public static final Waits UNKNOWN = new Waits(-1, new Latency(-1, -1, -1));
    }

    /** Percentiles in microseconds. */
    public record Latency(double p50Us, double p99Us, double maxUs) {
    }
}
