package org.xenpostcopy.migration.protocol;

import java.net.InetSocketAddress;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.migration.peer.SourcePeer;

/** Opens peers over plain Thrift connections (the transport a TLS connector will wrap). */
public final class ThriftPeerConnector implements PeerConnector {
    @Override
    public DestinationPeer destination(InetSocketAddress address, String sessionId, long controlTimeoutMs,
                                       int stallMs) {
        return new ThriftDestinationPeer(address, sessionId, controlTimeoutMs, stallMs);
    }

    @Override
    public SourcePeer source(InetSocketAddress address, String sessionId, long gfnCount, int stallMs) {
        return new ThriftSourcePeer(address, sessionId, gfnCount, stallMs);
    }
}
