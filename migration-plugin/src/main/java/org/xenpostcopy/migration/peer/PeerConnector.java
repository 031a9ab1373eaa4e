package org.xenpostcopy.migration.peer;

import java.net.InetSocketAddress;

/** Opens session-bound channels to other hosts. One per daemon; the transport (Thrift, TLS) is its business. */
public interface PeerConnector {
    /**
     * @param controlTimeoutMs how long a control call (prepare, resume, abort) may take before the peer counts
     *                         as gone
     * @param stallMs          how long a heartbeat or a push write may wait before the link counts as cut
     * @param wire             counts what the peer's connections carry, for the session's report
     */
    DestinationPeer destination(InetSocketAddress address, String sessionId, long controlTimeoutMs, int stallMs,
                                WireBytes wire);

    /**
     * @param gfnCount the session's physmap span: replies naming gfns beyond it are refused
     * @param stallMs  how long a fetch may wait for its reply before the link counts as cut
     * @param wire     counts what the peer's connection carries, for the session's report
     */
    SourcePeer source(InetSocketAddress address, String sessionId, long gfnCount, int stallMs, WireBytes wire);
}
