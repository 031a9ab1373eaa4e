package org.xenpostcopy.migration.protocol;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import org.apache.thrift.TConfiguration;
import org.apache.thrift.transport.TServerTransport;
import org.apache.thrift.transport.TTransportException;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.migration.tls.TlsEngine;

/**
 * Accepts connections as {@link ChannelTransport}s, each with its own TLS engine when the security is TLS. The
 * handshake is left to the connection's own server thread ({@link IdentifiedConnection}), so a slow or hostile
 * client never holds up the accept loop. A connection over the caps of {@link ServerLimits} (in all, per peer
 * address) is closed at once; each admitted one is held to its timeouts and size cap.
 */
final class ChannelServerTransport extends TServerTransport {
    private final ServerSocketChannel server;
    private final TConfiguration config;
    private final ChannelSecurity security;
    private final ServerLimits limits;
    private final PeerLimits peers;
    private final java.util.Set<ChannelTransport> accepted = java.util.concurrent.ConcurrentHashMap.newKeySet();

    ChannelServerTransport(InetSocketAddress bind, TConfiguration config, ChannelSecurity security,
                           ServerLimits limits) throws IOException {
        this.config = config;
        this.security = security;
        this.limits = limits;
        this.peers = new PeerLimits(limits.maxConnections(), limits.maxConnectionsPerPeer());
        // An IPv4 listen address (0.0.0.0 included) gets an IPv4 socket, so its connections can be marked
        // (ChannelTransport.ipv4Socket); the JDK's dual-stack default would also take IPv6 on 0.0.0.0.
        server = ChannelTransport.ipv4Socket(bind.getAddress()) ? ServerSocketChannel.open(StandardProtocolFamily.INET)
                : ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.setOption(StandardSocketOptions.SO_RCVBUF, ThriftConnection.SOCKET_BUFFER);
        server.bind(bind, 64);
    }

    InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) server.getLocalAddress();
    }

    @Override
    public void listen() {
        // bound in the constructor, so the port is known before serving starts
    }

    /** Waits for the next connection within the caps; those above them are closed as they come. */
    @Override
    public ChannelTransport accept() throws TTransportException {
        try {
            while (true) {
                SocketChannel ch = server.accept();
                InetAddress from = ((InetSocketAddress) ch.getRemoteAddress()).getAddress();
                if (!peers.admit(from, System.nanoTime())) {
                    ch.close();
                    continue;
                }
                ChannelTransport t;
                TlsEngine engine = null;
                try {
                    engine = security.isTls() ? security.serverEngine() : null;
                    t = new ChannelTransport(config, ch, engine, limits, () -> peers.release(from));
                } catch (TTransportException | RuntimeException | OutOfMemoryError e) {
                    peers.release(from);
                    ch.close();
                    if (engine != null) {
                        engine.close();
                    }
                    // libthrift's accept loop survives only a transport exception: anything else would stop the
                    // daemon accepting connections for good. That includes running out of direct memory for this
                    // connection's buffers, which busy migrations' checkpoints can briefly cause (a cluster lab
                    // daemon stopped accepting for good so): this connection is refused, the next may fit.
                    throw e instanceof TTransportException tte ? tte
                            : new TTransportException(TTransportException.UNKNOWN, "accepting a connection from "
                            + from.getHostAddress() + ": " + e, e);
                }
                accepted.add(t);
                accepted.removeIf(c -> !c.isOpen());
                return t;
            }
        } catch (IOException e) {
            throw new TTransportException(TTransportException.NOT_OPEN, e.getMessage(), e);
        }
    }

    /** Connections open now, in all and from {@code peer} (for tests and status). */
    int open() {
        return peers.open();
    }

    int open(InetAddress peer) {
        return peers.open(peer);
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** Closes every accepted connection, so their serving threads end quietly. */
    void closeAccepted() {
        accepted.forEach(ChannelTransport::close);
        accepted.clear();
    }

    @Override
    public void interrupt() {
        close();
    }
}
