package org.xenpostcopy.migration.protocol;

import java.net.InetSocketAddress;
import org.apache.thrift.TConfiguration;
import org.apache.thrift.protocol.TMultiplexedProtocol;
import org.apache.thrift.transport.TSocket;
import org.apache.thrift.transport.TTransportException;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.protocol.thrift.MigrationReceiver;
import org.xenpostcopy.migration.protocol.thrift.PageServer;

/**
 * One TCP connection to a peer daemon, speaking binary Thrift to one of its multiplexed services. Unframed: the
 * binary protocol reads a page payload straight from the socket into one array, where the framed transport would
 * copy every frame once more.
 */
public final class ThriftConnection implements AutoCloseable {
    public static final String RECEIVER = "receiver";
    public static final String PAGES = "pages";
    /** Largest message we accept: a full batch plus headroom. */
    static final int MAX_MESSAGE = 16 << 20;

    private final TSocket socket;
    private final PooledBinaryProtocol protocol;

    private ThriftConnection(InetSocketAddress peer, int timeoutMs) {
        try {
            TConfiguration conf = TConfiguration.custom().setMaxMessageSize(MAX_MESSAGE).setMaxFrameSize(MAX_MESSAGE).build();
            socket = new TSocket(conf, peer.getHostString(), peer.getPort(), timeoutMs);
            socket.open();
            protocol = new PooledBinaryProtocol(socket, MAX_MESSAGE);
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

    public PageServer.Client pages() {
        return new PageServer.Client(new TMultiplexedProtocol(protocol, PAGES));
    }

    /** Sets the read timeout (0 = wait for ever). */
    public void setTimeout(int timeoutMs) {
        socket.setTimeout(timeoutMs);
    }

    @Override
    public void close() {
        socket.close();
    }

    static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    }
}
