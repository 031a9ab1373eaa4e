/**
 * Mutual TLS for every daemon connection, with the JDK's TLS 1.3: the credentials directory laid out like QEMU's
 * {@code tls-creds-x509} ({@link org.xenpostcopy.migration.tls.TlsCredentials}), the allow-list of peer names
 * ({@link org.xenpostcopy.migration.tls.PeerAllowList}) checked while the handshake verifies the peer's chain
 * ({@link org.xenpostcopy.migration.tls.AllowListTrustManager}), the authenticated name of a peer
 * ({@link org.xenpostcopy.migration.tls.PeerIdentity}), how connections are secured
 * ({@link org.xenpostcopy.migration.tls.ChannelSecurity}, plain or TLS), and the lab CA of {@code xlpc tls init}
 * ({@link org.xenpostcopy.migration.tls.LabAuthority}). No Thrift here: {@code migration.protocol} runs the
 * engines over its transport. BouncyCastle only reads and writes PEM and builds lab certificates; it is never
 * registered as a JCE provider.
 */
package org.xenpostcopy.migration.tls;
