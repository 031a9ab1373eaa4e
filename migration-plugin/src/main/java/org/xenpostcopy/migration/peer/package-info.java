/**
 * The engine's view of the other host: {@link org.xenpostcopy.migration.peer.DestinationPeer} (what the source
 * asks of the destination) and {@link org.xenpostcopy.migration.peer.SourcePeer} (what the destination asks of
 * the source), opened by a {@link org.xenpostcopy.migration.peer.PeerConnector}, with plain-Java requests and
 * replies. {@code migration.protocol} implements them over Thrift; a TLS transport, a recovering connection or a
 * test double plugs in here without the engine noticing.
 */
package org.xenpostcopy.migration.peer;
