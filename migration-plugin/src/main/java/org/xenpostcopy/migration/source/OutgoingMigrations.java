package org.xenpostcopy.migration.source;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.xenpostcopy.balloon.SelfBallooningController;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.XenHost;

/**
 * This host as a migration source: starts outgoing migrations, at most one per domain at a time — two at once
 * could both hand the guest over, and two destinations would run it.
 */
public final class OutgoingMigrations {
    private final XenHost host;
    private final PageServer pageServer;
    private final PeerConnector peers;
    private final Supplier<InetSocketAddress> self;
    private final Optional<SelfBallooningController> dsb;
    private final Set<DomainId> inFlight = ConcurrentHashMap.newKeySet();

    /**
     * @param self where destinations reach this host's page server (known once the server listens)
     */
    public OutgoingMigrations(XenHost host, PageServer pageServer, PeerConnector peers,
                              Supplier<InetSocketAddress> self, Optional<SelfBallooningController> dsb) {
        this.host = host;
        this.pageServer = pageServer;
        this.peers = peers;
        this.self = self;
        this.dsb = dsb;
    }

    /** Migrates {@code domain} to the daemon at {@code destination}; returns the report when done. */
    public MigrationReport migrate(DomainId domain, InetSocketAddress destination, MigrationOptions options,
                                   MigrationProgress progress) {
        if (!inFlight.add(domain)) {
            throw new MigrationException(domain + " is already being migrated; wait for that migration to end");
        }
        try {
            return new OutgoingMigration(host, pageServer, peers, self.get(), domain, destination, options, progress,
                    dsb).run();
        } finally {
            inFlight.remove(domain);
        }
    }

    /** Whether a migration of {@code domain} is running now. */
    public boolean migrating(DomainId domain) {
        return inFlight.contains(domain);
    }
}
