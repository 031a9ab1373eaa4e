package org.xenpostcopy.migration.control;

import java.net.InetSocketAddress;
import java.util.Objects;
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
public record MigrateRequest(String domain, InetSocketAddress destination, MigrationOptions options) {
    public MigrateRequest {
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(options, "options");
    }
}
