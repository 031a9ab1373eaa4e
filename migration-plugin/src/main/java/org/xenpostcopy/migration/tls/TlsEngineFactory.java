package org.xenpostcopy.migration.tls;

/**
 * Makes one side's engine for each connection: a server's demands the client's certificate, and both speak
 * TLS 1.3 alone, verifying the peer with the CA and the allow-list.
 */
interface TlsEngineFactory {
    /** {@code peerHost} and {@code peerPort} only label a client's session; a server ignores them. */
    TlsEngine newEngine(String peerHost, int peerPort);
}
