package org.xenpostcopy.migration.protocol;

import java.net.InetSocketAddress;
import org.apache.thrift.TConfiguration;
import org.apache.thrift.protocol.TMultiplexedProtocol;
import org.apache.thrift.transport.TTransportException;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.protocol.thrift.HostControl;
import org.xenpostcopy.migration.protocol.thrift.MigrationReceiver;
import org.xenpostcopy.migration.protocol.thrift.SourcePages;

/**
 * One TCP connection to a peer daemon, speaking binary Thrift to its multiplexed services. Unframed (the framed
 * transport copies every frame once more) and over a {@link ChannelTransport}, so page payloads move between
 * the socket and direct buffers without extra copies.
 */
public final class ThriftConnection implements AutoCloseable {
    public static final String RECEIVER = "receiver";
    public static final String PAGES = "pages";
    public static final String CONTROL = "control";
    /** Largest message we accept: a full batch plus headroom. */
    static final int MAX_MESSAGE = 16 << 20;
    static final int SOCKET_BUFFER = 4 << 20;

    private final ChannelTransport transport;
    private final PooledBinaryProtocol protocol;

    private ThriftConnection(InetSocketAddress given, int timeoutMs) {
        InetSocketAddress peer = given.isUnresolved() ? new InetSocketAddress(given.getHostString(), given.getPort()) : given;
        if (peer.isUnresolved()) {
            throw new MigrationException("cannot reach the daemon at " + given.getHostString() + ":" + given.getPort()
                    + " (unknown host)");
        }
        try {
            transport = ChannelTransport.connect(config(), peer, timeoutMs);
            transport.setTimeout(timeoutMs);
            protocol = new PooledBinaryProtocol(transport, MAX_MESSAGE);
        } catch (TTransportException e) {
            throw new MigrationException("cannot reach the daemon at " + peer.getHostString() + ":" + peer.getPort()
                    + " (" + rootMessage(e) + ")", e);
        }
    }

    public static ThriftConnection open(InetSocketAddress peer, int timeoutMs) {
        return new ThriftConnection(peer, timeoutMs);
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

    /** Sets the read and write timeout (0 = wait for ever). */
    public void setTimeout(int timeoutMs) {
        try {
            transport.setTimeout(timeoutMs);
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
