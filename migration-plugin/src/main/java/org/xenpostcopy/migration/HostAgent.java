package org.xenpostcopy.migration;

import java.net.InetSocketAddress;
import org.xenpostcopy.migration.destination.ReceiverService;
import org.xenpostcopy.migration.protocol.MigrationServer;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.migration.source.PageServer;
import org.xenpostcopy.migration.source.PostCopySource;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.XenHost;

/**
 * One host's migration agent — the heart of {@code xlpc daemon}: it serves the Thrift channel (as destination it
 * receives migrations, as source it answers demand requests) and starts outgoing migrations.
 */
public final class HostAgent implements AutoCloseable {
    private final XenHost host;
    private final PageServer pageServer = new PageServer();
    private final ReceiverService receiver;
    private final MigrationServer server;

    /** Listens on {@code bind} (port 0 = any free port). */
    public HostAgent(XenHost host, InetSocketAddress bind) {
        this.host = host;
        this.receiver = new ReceiverService(host);
        this.server = new MigrationServer(bind, receiver, pageServer).start();
    }

    public XenHost host() {
        return host;
    }

    /** Where peers reach this agent. */
    public InetSocketAddress address() {
        return server.address();
    }

    public ReceiverService receiver() {
        return receiver;
    }

    /** Migrates a domain of this host to the agent at {@code destination}; returns the report when done. */
    public MigrationReport migrate(DomainId domain, InetSocketAddress destination, MigrationOptions options,
                                   MigrationProgress progress) {
        return switch (options.mode()) {
            case POSTCOPY -> new PostCopySource(host, pageServer, address(), domain, destination, options, progress).run();
            case PRECOPY, HYBRID -> throw new MigrationException(options.mode().wireName()
                    + " migration is not available yet; use post-copy");
        };
    }

    @Override
    public void close() {
        server.close();
    }
}
