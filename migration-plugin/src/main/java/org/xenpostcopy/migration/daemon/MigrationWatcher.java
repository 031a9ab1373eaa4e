package org.xenpostcopy.migration.daemon;

import org.xenpostcopy.migration.destination.IncomingEvents;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.DomainId;

/**
 * What a {@link HostAgent} tells of its migrations, both ways: the incoming sessions' events and the end of each
 * outgoing migration. Plain Java, so the agent — and the tests and labs that start one — never meets the metrics
 * library; {@link DaemonMetrics} is the implementation {@code xlpc daemon} plugs in. Calls come on the migrations'
 * own threads: an implementation returns at once and does not throw.
 */
public interface MigrationWatcher extends IncomingEvents {
    /** Watches nothing. */
    MigrationWatcher NONE = new MigrationWatcher() {
    };

    /** An outgoing migration of {@code domain} completed; {@code report} is what its client gets. */
    default void outgoingCompleted(DomainId domain, MigrationReport report) {
    }

    /**
     * An outgoing migration of {@code domain} failed with {@code why} (a {@code FailedBack}: the guest runs here
     * again, restored from a reverse checkpoint).
     */
    default void outgoingFailed(DomainId domain, RuntimeException why) {
    }
}
