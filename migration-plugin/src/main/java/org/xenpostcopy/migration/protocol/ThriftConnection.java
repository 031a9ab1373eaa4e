package org.xenpostcopy.migration.protocol;

import java.net.InetSocketAddress;
import org.apache.thrift.TConfiguration;
import org.apache.thrift.protocol.TMultiplexedProtocol;
import org.apache.thrift.transport.TTransportException;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.peer.WireBytes;
import org.xenpostcopy.migration.protocol.thrift.HostControl;
import org.xenpostcopy.migration.protocol.thrift.MigrationReceiver;
import org.xenpostcopy.migration.protocol.thrift.SourcePages;
import org.xenpostcopy.migration.tls.ChannelSecurity;

/**
 * One TCP connection to a peer daemon, speaking binary Thrift to its multiplexed services. Unframed (the framed
 * transport copies every frame once more) and over a {@link ChannelTransport}, so page payloads move between
 * the socket and direct buffers without extra copies. Secured as the {@link ChannelSecurity} it is opened with:
 * with TLS, the handshake (and the check of the daemon's certificate) is done before {@link #open} returns.
 */
public final class ThriftConnection implements AutoCloseable {
    public static final String RECEIVER = "receiver";
    public static final String PAGES = "pages";
    public static final String CONTROL = "control";
    /** Largest message we accept: a full batch plus headroom. */
    static final int MAX_MESSAGE = 16 << 20;
    static final int SOCKET_BUFFER = 4 << 20;
    /**
     * The push connection's send buffer. A pushed page counts as sent once written, and a fault on it waits for it to
     * land (the source answers "already sent") behind everything the socket still holds. At {@link #SOCKET_BUFFER}
     * (8 MiB once Linux doubles it) that was most of a second with three pushes sharing a 100 Mbit/s link. 64 KiB
     * (128 KiB in the kernel) is 40 ms at a third of 100 Mbit/s, still covers the bandwidth-delay product of loopback
     * (page throughput unchanged, docs/RESULTS.md) and of 1 Gbit/s at 1 ms, and caps a single push at about 5 Gbit/s
     * on a 0.2 ms LAN: the price of fault latency that does not grow with how many pushes share a link.
     */
    static final int PUSH_SEND_BUFFER = 64 << 10;

    private final ChannelTransport transport;
    private final PooledBinaryProtocol protocol;

    private ThriftConnection(InetSocketAddress given, int timeoutMs, int handshakeMs, ChannelSecurity security,
                             WireBytes wire) {
        InetSocketAddress peer = given.isUnresolved() ? new InetSocketAddress(given.getHostString(), given.getPort()) : given;
        if (peer.isUnresolved()) {
            throw new MigrationException("cannot reach the daemon at " + given.getHostString() + ":" + given.getPort()
                    + " (unknown host)");
        }
        try {
            transport = ChannelTransport.connect(config(), peer, timeoutMs, handshakeMs, security, wire);
            protocol = new PooledBinaryProtocol(transport, MAX_MESSAGE);
        } catch (TTransportException e) {
            String where = peer.getHostString() + ":" + peer.getPort();
            throw new MigrationException((isTls(e) ? "TLS with the daemon at " + where + " failed"
                    : "cannot reach the daemon at " + where) + " (" + rootMessage(e) + ")", e);
        }
    }

    /**
     * Connects (and with TLS, handshakes) within {@code timeoutMs}, which then stays the read and write timeout.
     *
     * @throws MigrationException "cannot reach the daemon at HOST:PORT (why)", or "TLS with the daemon at HOST:PORT
     *                            failed (why)" if the daemon was reached but the handshake failed
     */
    public static ThriftConnection open(InetSocketAddress peer, int timeoutMs, ChannelSecurity security) {
        return new ThriftConnection(peer, timeoutMs, timeoutMs, security, WireBytes.uncounted());
    }

    /**
     * As {@link #open(InetSocketAddress, int, ChannelSecurity)}, with its own deadline for the TLS handshake (the
     * slow part on a loaded host); {@code timeoutMs} is the connect and then the read and write timeout.
     */
    public static ThriftConnection open(InetSocketAddress peer, int timeoutMs, int handshakeMs, ChannelSecurity security) {
        return new ThriftConnection(peer, timeoutMs, handshakeMs, security, WireBytes.uncounted());
    }

    /** As {@link #open(InetSocketAddress, int, ChannelSecurity)}, its socket's bytes counted in {@code wire}. */
    static ThriftConnection open(InetSocketAddress peer, int timeoutMs, ChannelSecurity security, WireBytes wire) {
        return new ThriftConnection(peer, timeoutMs, timeoutMs, security, wire);
    }

    private static boolean isTls(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof javax.net.ssl.SSLException) {
                return true;
            }
        }
        return false;
    }

    public MigrationReceiver.Client receiver() {
        return new MigrationReceiver.Client(new TMultiplexedProtocol(protocol, RECEIVER));
    }

    public HostControl.Client control() {
        return new HostControl.Client(new TMultiplexedProtocol(protocol, CONTROL));
    }

    public SourcePages.Client pages() {
        return new SourcePages.Client(new TMultiplexedProtocol(protocol, PAGES));
    }

    /** The identity the daemon's certificate proved in the handshake; empty on a plain connection. */
    public java.util.Optional<org.xenpostcopy.migration.tls.PeerIdentity> peer() {
        return transport.peer();
    }

    /** Sets the read and write timeout (0 = wait for ever). */
    public void setTimeout(int timeoutMs) {
        try {
            transport.setTimeout(timeoutMs);
        } catch (TTransportException e) {
            throw new MigrationException("connection failed: " + e.getMessage(), e);
        }
    }

    /**
     * This connection carries the push: its socket holds no more than {@link #PUSH_SEND_BUFFER} of pages not yet on
     * the wire.
     */
    void boundForPush() {
        try {
            transport.setSendBuffer(PUSH_SEND_BUFFER);
        } catch (TTransportException e) {
            throw new MigrationException("connection failed: " + e.getMessage(), e);
        }
    }

    static TConfiguration config() {
        return TConfiguration.custom().setMaxMessageSize(MAX_MESSAGE).setMaxFrameSize(MAX_MESSAGE).build();
    }

    @Override
    public void close() {
        transport.close();
    }

    static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    }
}
