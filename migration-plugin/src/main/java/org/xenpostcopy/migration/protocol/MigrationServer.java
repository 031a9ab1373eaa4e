package org.xenpostcopy.migration.protocol;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.thrift.TMultiplexedProcessor;
import org.apache.thrift.server.TServer;
import org.apache.thrift.server.TThreadPoolServer;
import org.xenpostcopy.migration.control.DaemonControl;
import org.xenpostcopy.migration.control.SharedToken;
import org.xenpostcopy.migration.protocol.thrift.HostControl;
import org.xenpostcopy.migration.protocol.thrift.MigrationReceiver;
import org.xenpostcopy.migration.protocol.thrift.SourcePages;
import org.xenpostcopy.migration.destination.IncomingMigrations;
import org.xenpostcopy.migration.source.PageServer;
import org.xenpostcopy.migration.tls.ChannelSecurity;

/**
 * A daemon's Thrift endpoint: its three services (receiver, source pages, control) multiplexed on one port, one
 * thread per connection — so a migration's control, push and demand connections are each served by their own
 * thread and urgent demand requests never wait behind bulk pushes. With TLS, each connection's handshake runs on
 * its own thread before its first request, and its handlers see the peer in {@link CallingPeer}.
 */
public final class MigrationServer implements AutoCloseable {
    private final TServer server;
    private final ChannelServerTransport transport;
    private final InetSocketAddress address;
    private final Thread thread;
    private final ExecutorService workers;

    /**
     * @param incoming       this host as a destination
     * @param pages          this host as a source, answering demand requests
     * @param controlService what {@code xlpc} commands ask of this daemon
     * @param token          the shared token control clients must present
     * @param security       plain, or TLS: then every connection is refused unless its handshake succeeds
     */
    public MigrationServer(InetSocketAddress bind, IncomingMigrations incoming, PageServer pages,
                           DaemonControl controlService, SharedToken token, ChannelSecurity security) {
        this(bind, incoming, pages, controlService, token, security, new SessionOwners(pages::serves),
                ServerLimits.defaults());
    }

    /**
     * @param fetchers which destination may fetch each outgoing session's pages, as the {@link ThriftPeerConnector}
     *                 this host sends with recorded it
     * @param limits   what any one connection, and any one peer, may hold of this server
     */
    public MigrationServer(InetSocketAddress bind, IncomingMigrations incoming, PageServer pages,
                           DaemonControl controlService, SharedToken token, ChannelSecurity security,
                           SessionOwners fetchers, ServerLimits limits) {
        // The control service is domain-typed; its Thrift face is built here, at the edge.
        HostControl.Iface control = new HostControlHandler(controlService, token);
        try {
            transport = new ChannelServerTransport(bind, ThriftConnection.config(), security, limits);
            address = transport.localAddress();
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + bind.getHostString() + ":" + bind.getPort() + ": "
                    + e.getMessage(), e);
        }
        TMultiplexedProcessor processor = new TMultiplexedProcessor();
        processor.registerProcessor(ThriftConnection.RECEIVER,
                new MigrationReceiver.Processor<>(new ReceiverHandler(incoming,
                        new SessionOwners(id -> incoming != null && incoming.knows(id)))));
        processor.registerProcessor(ThriftConnection.PAGES,
                new SourcePages.Processor<>(new SourcePagesHandler(pages, fetchers)));
        processor.registerProcessor(ThriftConnection.CONTROL, new HostControl.Processor<>(control));
        AtomicInteger n = new AtomicInteger();
        // One thread per admitted connection: the transport admits no more than the limit.
        workers = new ThreadPoolExecutor(1, limits.maxConnections() + 1, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "thrift-conn-" + address.getPort() + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server = new TThreadPoolServer(new TThreadPoolServer.Args(transport)
                .processorFactory(IdentifiedConnection.factory(new GuardedProcessor(processor)))
                .protocolFactory(PooledBinaryProtocol.Factory.forRequests(ThriftConnection.MAX_MESSAGE))
                .executorService(workers));
        thread = new Thread(server::serve, "thrift-accept-" + address.getPort());
        thread.setDaemon(true);
    }

    public MigrationServer start() {
        thread.start();
        return this;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(address.getAddress().getHostAddress(), address.getPort());
    }

    /** Connections open now, in all (each holds a thread and its buffers: what a flood of peers may cost). */
    public int openConnections() {
        return transport.open();
    }

    @Override
    public void close() {
        server.stop();
        transport.close();
        transport.closeAccepted();
        workers.shutdown();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
