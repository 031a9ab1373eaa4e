package org.xenpostcopy.migration.evacuation;

import java.util.Objects;
import java.util.Optional;
import org.xenpostcopy.migration.report.MigrationReport;

/**
 * What became of one guest of an evacuation.
 *
 * @param destination where it was sent; empty if it was never placed
 * @param reason      why it failed or was not moved; empty if it moved
 * @param report      the migration's report, if it completed
 * @param elapsedMs   from its migration's start to its end as the evacuation saw it (0 if never started)
 */
public record GuestOutcome(GuestToMove guest, String destination, Result result, String reason,
                           Optional<MigrationReport> report, double elapsedMs) {
    /** Moved: the migration completed (see {@link #verified}); failed: it did not; not moved: never started. */
    public enum Result {
        MOVED, FAILED, NOT_MOVED;

        /** As the table and the JSON spell it. */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    public GuestOutcome {
        Objects.requireNonNull(guest, "guest");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(report, "report");
        if ((result == Result.MOVED) != report.isPresent()) {
            throw new IllegalArgumentException(guest.name() + ": a report comes with a moved guest and only then");
        }
    }

    static GuestOutcome moved(Placement.Assignment a, MigrationReport report, double elapsedMs) {
        return new GuestOutcome(a.guest(), a.host(), Result.MOVED, "", Optional.of(report), elapsedMs);
    }

    static GuestOutcome failed(Placement.Assignment a, String reason, double elapsedMs) {
        return new GuestOutcome(a.guest(), a.host(), Result.FAILED, reason, Optional.empty(), elapsedMs);
    }

    public static GuestOutcome notMoved(Placement.Unplaced u) {
        return new GuestOutcome(u.guest(), "", Result.NOT_MOVED, u.reason(), Optional.empty(), 0);
    }

    /** Moved, and its destination's memory check passed. */
    public boolean verified() {
        return report.map(MigrationReport::verified).orElse(false);
    }
}
