package org.xenpostcopy.migration.control;

import java.net.InetSocketAddress;
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
     * Migrates {@code domain} to the daemon at {@code destination}; blocks until done.
     *
     * @throws org.xenpostcopy.migration.MigrationException if it fails (the message says where the guest runs)
     */
    MigrationReport migrate(DomainId domain, InetSocketAddress destination, MigrationOptions options,
                            MigrationProgress progress);
}
