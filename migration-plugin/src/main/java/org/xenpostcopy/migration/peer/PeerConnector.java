package org.xenpostcopy.migration.peer;

import java.net.InetSocketAddress;

/** Opens session-bound channels to other hosts. One per daemon; the transport (Thrift, TLS) is its business. */
public interface PeerConnector {
    /**
     * @param controlTimeoutMs how long a control call (prepare, resume, abort) may take before the peer counts
     *                         as gone
     */
    DestinationPeer destination(InetSocketAddress address, String sessionId, long controlTimeoutMs);

    /** @param gfnCount the session's physmap span: replies naming gfns beyond it are refused */
    SourcePeer source(InetSocketAddress address, String sessionId, long gfnCount);
}
