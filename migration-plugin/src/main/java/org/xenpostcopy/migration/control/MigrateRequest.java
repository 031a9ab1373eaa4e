package org.xenpostcopy.migration.control;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;
import org.xenpostcopy.migration.MigrationOptions;

/**
 * A client's request to migrate one of the daemon's domains ({@code xlpc migrate}).
 *
 * <p>A remote client can choose only part of the options: mode, pre-paging, DSB, link shaping, verification,
 * pre-copy rounds and the baseline travel on the wire; batch size, pivots, the demand-only window and the timeout
 * are the daemon's defaults.
 *
 * @param domain      name or numeric id, as the user typed it
 * @param destination the destination daemon
 */
public record MigrateRequest(String domain, InetSocketAddress destination, MigrationOptions options,
                             Optional<LinkTurn> turn) {
    public MigrateRequest {
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(turn, "turn");
    }

    /** A migration that sends whenever it is ready. */
    public MigrateRequest(String domain, InetSocketAddress destination, MigrationOptions options) {
        this(domain, destination, options, Optional.empty());
    }

    /**
     * This migration is one of a group that takes turns at the source's link (an evacuation's): at most
     * {@code places} of the group send at once, and those ready and waiting go in {@code rank} order.
     */
    public record LinkTurn(String group, int places, int rank) {
        public LinkTurn {
            Objects.requireNonNull(group, "group");
            if (group.isBlank() || places < 1 || rank < 0) {
                throw new IllegalArgumentException("a turn needs a group, at least one place and a rank of 0 or more ("
                        + group + ", " + places + ", " + rank + ")");
            }
        }
    }
}
