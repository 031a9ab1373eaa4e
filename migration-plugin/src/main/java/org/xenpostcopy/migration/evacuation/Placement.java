package org.xenpostcopy.migration.evacuation;

import java.util.List;
import java.util.Objects;

/**
 * Where each guest of an evacuation goes, or why it stays.
 *
 * @param assignments guests with a destination, in the order they should start (largest first)
 * @param unplaced    guests no candidate has room for, each with the reason
 */
public record Placement(List<Assignment> assignments, List<Unplaced> unplaced) {
    public Placement {
        assignments = List.copyOf(assignments);
        unplaced = List.copyOf(unplaced);
    }

    /** One guest and the host it goes to. */
    public record Assignment(GuestToMove guest, String host) {
        public Assignment {
            Objects.requireNonNull(guest, "guest");
            Objects.requireNonNull(host, "host");
        }
    }

    /** One guest that stays where it is, and one sentence saying why. */
    public record Unplaced(GuestToMove guest, String reason) {
        public Unplaced {
            Objects.requireNonNull(guest, "guest");
            Objects.requireNonNull(reason, "reason");
        }
    }
}
