package org.xenpostcopy.migration.protocol;

import java.net.InetSocketAddress;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.migration.peer.SourcePeer;

/** Opens peers over plain Thrift connections (the transport a TLS connector will wrap). */
public final class ThriftPeerConnector implements PeerConnector {
    @Override
    public DestinationPeer destination(InetSocketAddress address, String sessionId, long controlTimeoutMs) {
        return new ThriftDestinationPeer(address, sessionId, controlTimeoutMs);
    }

    @Override
    public SourcePeer source(InetSocketAddress address, String sessionId, long gfnCount) {
        return new ThriftSourcePeer(address, sessionId, gfnCount);
    }
}
