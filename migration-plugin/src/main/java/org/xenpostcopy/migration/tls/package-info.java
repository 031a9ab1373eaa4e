/**
 * Mutual TLS 1.3 for every daemon connection, its records run by BoringSSL or the JDK
 * ({@link org.xenpostcopy.migration.tls.TlsProvider}, one {@link org.xenpostcopy.migration.tls.TlsEngine} per
 * connection): the credentials directory laid out like QEMU's
 * {@code tls-creds-x509} ({@link org.xenpostcopy.migration.tls.TlsCredentials}), the allow-list of peer names
 * ({@link org.xenpostcopy.migration.tls.PeerAllowList}) checked while the handshake verifies the peer's chain
 * ({@link org.xenpostcopy.migration.tls.AllowListTrustManager}), the authenticated name of a peer
 * ({@link org.xenpostcopy.migration.tls.PeerIdentity}), how connections are secured
 * ({@link org.xenpostcopy.migration.tls.ChannelSecurity}, plain or TLS), and the lab CA of {@code xlpc tls init}
 * ({@link org.xenpostcopy.migration.tls.LabAuthority}). No Thrift here: {@code migration.protocol} runs the
 * engines over its transport. BouncyCastle only reads and writes PEM and builds lab certificates; it is never
 * registered as a JCE provider. Netty is used for BoringSSL's engines alone, here and nowhere else.
 */
package org.xenpostcopy.migration.tls;
