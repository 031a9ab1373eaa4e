package org.xenpostcopy.migration.protocol;

import java.net.InetSocketAddress;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.migration.peer.SourcePeer;
import org.xenpostcopy.migration.tls.ChannelSecurity;

/** Opens peers over Thrift connections, every one of them secured as this daemon's {@link ChannelSecurity} says. */
public final class ThriftPeerConnector implements PeerConnector {
    private final ChannelSecurity security;

    public ThriftPeerConnector(ChannelSecurity security) {
        this.security = security;
    }

    @Override
    public DestinationPeer destination(InetSocketAddress address, String sessionId, long controlTimeoutMs,
                                       int stallMs) {
        return new ThriftDestinationPeer(address, sessionId, controlTimeoutMs, stallMs, security);
    }

    @Override
    public SourcePeer source(InetSocketAddress address, String sessionId, long gfnCount, int stallMs) {
        return new ThriftSourcePeer(address, sessionId, gfnCount, stallMs, security);
    }
}
