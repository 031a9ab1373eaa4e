/**
 * The Thrift edge: the generated code lives in {@code org.xenpostcopy.migration.protocol.thrift} (source root
 * {@code src/generated/java}, never edited by hand); this package holds the thin adapters — packing of bulk
 * fields, the server, client connections and the mapping of domain errors to {@code TMigrationError}. The
 * transport under them reads and writes a plain socket or TLS records over it ({@code SocketStream},
 * {@code TlsStream}), as the {@code migration.tls.ChannelSecurity} a connection is opened or accepted with says;
 * handlers learn who called from {@code CallingPeer}.
 */
package org.xenpostcopy.migration.protocol;
