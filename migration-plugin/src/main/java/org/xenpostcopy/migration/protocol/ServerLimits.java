package org.xenpostcopy.migration.protocol;

import java.time.Duration;

/**
 * What one connection, and one peer, may hold of a daemon's server before it has proved anything: limits that
 * hold before trust (before a TLS handshake, before a first whole request). Each has a config key and a default
 * chosen above what a migration itself ever needs.
 *
 * @param maxConnections        open connections in all ({@code limits.connections}); the server keeps one thread
 *                              per connection, so this is also its thread bound
 * @param maxConnectionsPerPeer open connections from one address ({@code limits.connections-per-peer}); a migration
 *                              needs four (control, push, heartbeat, demand), an {@code xlpc} command one
 * @param handshake             from accept to the end of the TLS handshake ({@code limits.handshake-s}): a
 *                              deadline, so a peer that trickles a byte at a time gains nothing; until it ends
 *                              nobody knows who the peer is
 * @param idle                  how long a connection may wait for its first request and between requests
 *                              ({@code limits.idle-s}); above every silence a migration has: a push connection is
 *                              opened before prepare and first used after the switch, heartbeats and demand pings
 *                              come every stall/5 (at most 2 minutes), a prepared session is reaped after 10 minutes
 * @param messageStall          how long a request, once begun, may go without a byte arriving
 *                              ({@code limits.message-stall-s})
 */
public record ServerLimits(int maxConnections, int maxConnectionsPerPeer, Duration handshake, Duration idle,
                           Duration messageStall) {
    /** The largest request in all, its fields together: a resume's two bitmaps of the largest physmap, and room. */
    public static final long MAX_MESSAGE_TOTAL = 48L << 20;
    /** The longest string a request may carry (names, ids, reasons: all far shorter). */
    public static final int MAX_REQUEST_STRING = 64 << 10;
    /** The longest list a request may carry (vCPU states: Xen's own limit is lower). */
    public static final int MAX_REQUEST_LIST = 4096;
    /** A {@code binary} field announced larger than this is read into memory as it arrives, not allocated at once. */
    static final int ALLOCATE_AHEAD = 256 << 10;

    public static final int DEFAULT_MAX_CONNECTIONS = 256;
    public static final int DEFAULT_MAX_CONNECTIONS_PER_PEER = 64;
    public static final Duration DEFAULT_HANDSHAKE = Duration.ofSeconds(10);
    public static final Duration DEFAULT_IDLE = Duration.ofMinutes(15);
    public static final Duration DEFAULT_MESSAGE_STALL = Duration.ofSeconds(60);

    public ServerLimits {
        if (maxConnections < 1 || maxConnectionsPerPeer < 1 || maxConnectionsPerPeer > maxConnections) {
            throw new IllegalArgumentException("connection limits must be 1 <= per peer (" + maxConnectionsPerPeer
                    + ") <= in all (" + maxConnections + ")");
        }
        for (Duration d : new Duration[] {handshake, idle, messageStall}) {
            if (d.toMillis() < 1 || d.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("a connection timeout of " + d + " is outside 1 ms..24 days");
            }
        }
    }

    public static ServerLimits defaults() {
        return new ServerLimits(DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_PEER, DEFAULT_HANDSHAKE,
                DEFAULT_IDLE, DEFAULT_MESSAGE_STALL);
    }

    public ServerLimits withConnections(int all, int perPeer) {
        return new ServerLimits(all, perPeer, handshake, idle, messageStall);
    }

    public ServerLimits withTimeouts(Duration tlsHandshake, Duration betweenMessages, Duration stall) {
        return new ServerLimits(maxConnections, maxConnectionsPerPeer, tlsHandshake, betweenMessages, stall);
    }
}
