package org.xenpostcopy.migration.protocol;

import java.net.InetSocketAddress;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.migration.peer.SourcePeer;
import org.xenpostcopy.migration.peer.WireBytes;
import org.xenpostcopy.migration.tls.ChannelSecurity;

/** Opens peers over Thrift connections, every one of them secured as this daemon's {@link ChannelSecurity} says. */
public final class ThriftPeerConnector implements PeerConnector {
    private final ChannelSecurity security;
    private final SessionOwners fetchers;

    /** For a host that serves no pages of its own sessions to anyone checking who fetches them. */
    public ThriftPeerConnector(ChannelSecurity security) {
        this(security, new SessionOwners(id -> false));
    }

    /**
     * @param fetchers where each session sent from here records the destination it reached, so the page server
     *                 lets only that identity fetch its pages
     */
    public ThriftPeerConnector(ChannelSecurity security, SessionOwners fetchers) {
        this.security = security;
        this.fetchers = fetchers;
    }

    @Override
    public DestinationPeer destination(InetSocketAddress address, String sessionId, long controlTimeoutMs,
                                       int stallMs, WireBytes wire) {
        ThriftDestinationPeer peer = new ThriftDestinationPeer(address, sessionId, controlTimeoutMs, stallMs, security,
                wire);
        try {
            fetchers.expect(sessionId, peer.identity());
        } catch (RuntimeException e) {
            peer.close();
            throw e;
        }
        return peer;
    }

    @Override
    public SourcePeer source(InetSocketAddress address, String sessionId, long gfnCount, int stallMs,
                             WireBytes wire) {
        return new ThriftSourcePeer(address, sessionId, gfnCount, stallMs, security, wire);
    }
}
