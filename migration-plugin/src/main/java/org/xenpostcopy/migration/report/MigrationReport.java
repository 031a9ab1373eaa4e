package org.xenpostcopy.migration.report;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The report of one migration: {@code xlpc migrate --json} prints exactly this object. Field names are public
 * interface (see ARCHITECTURE.md); new fields may be added, none renamed.
 *
 * @param duplicatePages  pages that reached the destination more than once (0 unless the protocol is broken)
 * @param pagesFreeAtStart pages free inside the guest when the migration started, as its balloon driver reported
 *                        (-1 if unknown)
 * @param prepaging       the pre-paging policy by its {@code --prepaging} name ({@code none} for pre-copy)
 * @param networkFaults   the paper's network faults: first guest touches of post-copy pages that were not here and
 *                        had to be fetched from the source
 * @param minorFaults     the paper's minor faults: first guest touches of post-copy pages that pre-paging had
 *                        already brought (-1 if the host cannot tell which pages the guest touched)
 * @param guestPagesTouched distinct pages the guest touched at the destination during post-copy — its first
 *                        touches, a faulting access included (-1 if the host cannot tell)
 * @param networkFaultRatio {@code networkFaults / guestPagesTouched}, the paper's share of network faults
 *                        (-1 if unknown)
 * @param totalMigrationMs the migration from its start to the destination's completion, on the source's clock
 * @param downtimeMs      from the guest's last instant on the source to its first on the destination
 * @param downtimeFrom    {@code guest} if the hosts told those instants; {@code pause-unpause} if the source's pause
 *                        call and the destination's unpause stand in for them (then an upper bound)
 * @param bytesTransferred bytes through the sockets of every connection of the migration, both ways: TLS records
 *                        and protocol framing included, TCP/IP headers not
 * @param bytesToDestination of those, the bytes that went from the source to the destination
 * @param bytesToSource   and those that went back (fetch requests, checkpoints, replies)
 * @param faultLatencyUs  how long faulting vCPUs stayed blocked, as the guest lived it: from its access to a page not
 *                        there (waiting for a ring slot included) to running again; all -1 if the host cannot tell
 * @param pagerLatencyUs  the pager's side of the same faults: from the request leaving the ring to its answer
 * @param pagerWaitsByArrival the pager's side split by what brought the page: a fetch's reply, the push (the source
 *                        had sent the page already, or the push beat the fetch), or nothing (it was here when the
 *                        request left the ring); counted in requests, so two vCPUs on one page are two; all -1 where
 *                        not counted (an older destination)
 * @param appThroughputBaseline guest operations per second before the migration (-1 if the host cannot tell)
 * @param appThroughputDuring   guest operations per second from resume to the last page loaded (-1 likewise)
 * @param verified        the destination's memory check passed (false if it failed or could not run)
 * @param prepareMs       the destination creating the domain (post-copy: with every page paged out), as the
 *                        source's prepare call took
 * @param linkWaitMs      of {@code totalMigrationMs}, the time it waited for a turn at the source's link, taken in
 *                        turns by a group of migrations (an evacuation's); 0 for one that did not wait, and from a
 *                        daemon older than this field
 * @param postCopyMs      destination unpause to the last page loaded
 * @param recovery        cuts of the link after the switch and what mending them cost
 */
@JsonPropertyOrder({"mode", "prepaging", "dsb", "vmPages", "totalMigrationMs", "downtimeMs", "downtimeFrom",
        "pagesTransferred", "bytesTransferred", "bytesToDestination", "bytesToSource", "duplicatePages",
        "pagesSkippedBallooned", "pagesFreeAtStart", "networkFaults", "minorFaults", "guestPagesTouched",
        "networkFaultRatio", "faultLatencyUs", "pagerLatencyUs", "pagerWaitsByArrival", "appThroughputBaseline",
        "appThroughputDuring", "verified", "mismatchedPages", "verificationNote", "linkWaitMs", "prepareMs", "postCopyMs",
        "sourceDomain", "destinationDomain", "rounds", "recovery"})
public record MigrationReport(
        String mode,
        String prepaging,
        boolean dsb,
        long vmPages,
        double totalMigrationMs,
        double downtimeMs,
        String downtimeFrom,
        long pagesTransferred,
        long bytesTransferred,
        long bytesToDestination,
        long bytesToSource,
        long duplicatePages,
        long pagesSkippedBallooned,
        long pagesFreeAtStart,
        long networkFaults,
        long minorFaults,
        long guestPagesTouched,
        double networkFaultRatio,
        FaultLatency faultLatencyUs,
        FaultLatency pagerLatencyUs,
        double appThroughputBaseline,
        double appThroughputDuring,
        boolean verified,
        long mismatchedPages,
        String verificationNote,
        double prepareMs,
        double postCopyMs,
        int sourceDomain,
        int destinationDomain,
        int rounds,
        Recovery recovery,
        PagerWaits pagerWaitsByArrival,
        double linkWaitMs) {

    /** Unknown fields are dropped on reading: a report from a newer daemon still reads in an older CLI. */
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public MigrationReport {
        if (pagerWaitsByArrival == null) {
            pagerWaitsByArrival = PagerWaits.UNKNOWN;     // a report written before the field existed
        }
    }

    /** A report without the pager's waits split (not counted) and without a wait for the link. */
    public MigrationReport(String mode, String prepaging, boolean dsb, long vmPages, double totalMigrationMs,
                           double downtimeMs, String downtimeFrom, long pagesTransferred, long bytesTransferred,
                           long bytesToDestination, long bytesToSource, long duplicatePages, long pagesSkippedBallooned,
                           long pagesFreeAtStart, long networkFaults, long minorFaults, long guestPagesTouched,
                           double networkFaultRatio, FaultLatency faultLatencyUs, FaultLatency pagerLatencyUs,
                           double appThroughputBaseline, double appThroughputDuring, boolean verified,
                           long mismatchedPages, String verificationNote, double prepareMs, double postCopyMs,
                           int sourceDomain, int destinationDomain, int rounds, Recovery recovery) {
        this(mode, prepaging, dsb, vmPages, totalMigrationMs, downtimeMs, downtimeFrom, pagesTransferred,
                bytesTransferred, bytesToDestination, bytesToSource, duplicatePages, pagesSkippedBallooned,
                pagesFreeAtStart, networkFaults, minorFaults, guestPagesTouched, networkFaultRatio, faultLatencyUs,
                pagerLatencyUs, appThroughputBaseline, appThroughputDuring, verified, mismatchedPages,
                verificationNote, prepareMs, postCopyMs, sourceDomain, destinationDomain, rounds, recovery,
                PagerWaits.UNKNOWN, 0);
    }

    /**
     * The pager's waits by what brought the page. Together they are every request {@code pagerLatencyUs} counts.
     *
     * @param byFetch     the requests a fetch's reply answered
     * @param byPush      the requests a pushed page answered
     * @param alreadyHere the requests whose page had landed while they sat on the ring (answered at once)
     */
    public record PagerWaits(@JsonProperty("byFetch") Waits byFetch, @JsonProperty("byPush") Waits byPush,
                             @JsonProperty("alreadyHere") Waits alreadyHere) {
        public static final PagerWaits UNKNOWN = new PagerWaits(Waits.UNKNOWN, Waits.UNKNOWN, Waits.UNKNOWN);

        /** A bucket a report does not carry (it was written before the bucket existed) reads as not counted. */
        public PagerWaits {
            byFetch = byFetch == null ? Waits.UNKNOWN : byFetch;
            byPush = byPush == null ? Waits.UNKNOWN : byPush;
            alreadyHere = alreadyHere == null ? Waits.UNKNOWN : alreadyHere;
        }
    }

    /** Requests off the ring (-1 if not counted) and how long they waited. */
    public record Waits(long requests, FaultLatency latencyUs) {
        public static final Waits UNKNOWN = new Waits(-1, FaultLatency.UNKNOWN);

        public Waits {
            if (latencyUs == null) {
                latencyUs = FaultLatency.UNKNOWN;
            }
        }

        /**
         * Read from JSON: absent parts read as not counted. The first form of this field (one landing, 2026-12-04)
         * put the percentiles beside {@code requests}, without their unit in a name; they are read too.
         */
        @JsonCreator
        static Waits fromJson(@JsonProperty("requests") Long requests,
                              @JsonProperty("latencyUs") FaultLatency latencyUs, @JsonProperty("p50") Double p50,
                              @JsonProperty("p99") Double p99, @JsonProperty("max") Double max) {
            if (latencyUs == null && p50 != null && p99 != null && max != null) {
                latencyUs = new FaultLatency(p50, p99, max);
            }
            return new Waits(requests == null ? -1 : requests, latencyUs);
        }

        @JsonProperty("requests")
        @Override
        public long requests() {
            return requests;
        }

        @JsonProperty("latencyUs")
        @Override
        public FaultLatency latencyUs() {
            return latencyUs;
        }
    }

    /** Fault latency percentiles in microseconds; all -1 if unknown. */
    public record FaultLatency(@JsonProperty("p50") double p50, @JsonProperty("p99") double p99,
                               @JsonProperty("max") double max) {
        public static final FaultLatency UNKNOWN = new FaultLatency(-1, -1, -1);

        public boolean known() {
            return max >= 0;
        }

        public static FaultLatency of(LatencyRecorder.Percentiles p) {
            return new FaultLatency(p.p50(), p.p99(), p.max());
        }
    }

    /**
     * Cuts of the link after the switch, each mended by a reconnect, and the reverse checkpoints that would have
     * brought the guest back had the destination died.
     *
     * @param cuts        times the session paused (a connection failed, or heartbeats called a cut)
     * @param pausedMs    time spent paused and reconnecting, all cuts together
     * @param pagesResent pages sent again because the destination missed them after a cut
     * @param checkpoints reverse checkpoints the source committed
     * @param checkpointPages pages those carried (a page dirtied between two of them counts in each)
     * @param checkpointBytes bytes of checkpoint pages received, at 4104 per page
     * @param checkpointPauseMs time the guest stood paused at the destination for its checkpoints, in all
     * @param checkpointsDeferred checkpoints put off because the guest dirtied pages too fast for a short pause
     */
    public record Recovery(@JsonProperty("cuts") int cuts, @JsonProperty("pausedMs") double pausedMs,
                           @JsonProperty("pagesResent") long pagesResent,
                           @JsonProperty("checkpoints") long checkpoints,
                           @JsonProperty("checkpointPages") long checkpointPages,
                           @JsonProperty("checkpointBytes") long checkpointBytes,
                           @JsonProperty("checkpointPauseMs") double checkpointPauseMs,
                           @JsonProperty("checkpointsDeferred") long checkpointsDeferred) {
        public static final Recovery NONE = new Recovery(0, 0, 0);

        public Recovery(int cuts, double pausedMs, long pagesResent) {
            this(cuts, pausedMs, pagesResent, 0, 0, 0, 0, 0);
        }
    }

    /** {@code networkFaults / guestPagesTouched}, or -1 if the host could not count the guest's touches. */
    public static double networkFaultRatio(long networkFaults, long guestPagesTouched) {
        return guestPagesTouched > 0 ? (double) networkFaults / guestPagesTouched : -1;
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static MigrationReport fromJson(String json) {
        try {
            return JSON.readValue(json, MigrationReport.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a migration report: " + e.getOriginalMessage(), e);
        }
    }
}
