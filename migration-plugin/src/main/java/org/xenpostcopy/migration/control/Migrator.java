package org.xenpostcopy.migration.control;

import java.net.InetSocketAddress;
import java.util.Optional;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.DomainId;

/**
 * Runs one outgoing migration to its end. The control service needs only this of the daemon's agent; taking it
 * as an interface keeps the control package from depending on the agent (which depends on the control service).
 */
@FunctionalInterface
public interface Migrator {
    /**
     * Has the migration of {@code domain}, if its link was cut, reconnect now; true if it was paused waiting to.
     * (A migrator that cannot recover has nothing to hurry.)
     */
    default boolean retryNow(DomainId domain) {
        return false;
    }

    /**
     * Brings the guest of {@code domain} back here from its last reverse checkpoint, on an administrator's order
     * ({@code xlpc migrate --fail-back}); returns one sentence saying what was done.
     *
     * @throws org.xenpostcopy.migration.MigrationException saying why it is not safe and what to do instead
     */
    default String failBack(DomainId domain) {
        throw new org.xenpostcopy.migration.MigrationException("this daemon cannot fail a migration back");
    }

    /** Whether a failed migration of {@code domain} left a copy here that {@link #failBack} could bring back. */
    default boolean holdsCopy(DomainId domain) {
        return false;
    }

    /**
     * Migrates {@code domain} to the daemon at {@code destination}; blocks until done.
     *
     * @param turn the group it takes turns at this host's link with, if any
     * @throws org.xenpostcopy.migration.MigrationException if it fails (the message says where the guest runs)
     */
    MigrationReport migrate(DomainId domain, InetSocketAddress destination, MigrationOptions options,
                            MigrationProgress progress, Optional<MigrateRequest.LinkTurn> turn);
}
