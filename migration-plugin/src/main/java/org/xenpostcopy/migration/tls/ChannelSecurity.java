package org.xenpostcopy.migration.tls;

/**
 * How a host's connections are secured: plain (loopback labs, {@code --insecure}) or mutual TLS 1.3 with its
 * credentials and allow-list. One value per daemon or command, handed to whatever opens or accepts connections, so
 * every connection of that process (control, push, demand, xlpc commands) is secured the same way.
 */
public final class ChannelSecurity {
    private static final ChannelSecurity PLAIN = new ChannelSecurity(null, null, "plain TCP (no TLS)");

    private final TlsEngineFactory server;
    private final TlsEngineFactory client;
    private final String description;

    private ChannelSecurity(TlsEngineFactory server, TlsEngineFactory client, String description) {
        this.server = server;
        this.client = client;
        this.description = description;
    }

    /** No TLS: bytes cross as they are. */
    public static ChannelSecurity plain() {
        return PLAIN;
    }

    /**
     * Mutual TLS 1.3: serves with the server pair (if the credentials have one) and connects with the client pair;
     * both ends verify the peer's chain against the CA and its name against {@code allow}.
     */
    public static ChannelSecurity tls(TlsCredentials credentials, PeerAllowList allow) {
        return tls(credentials, allow, TlsProvider.preferred());
    }

    /** As {@link #tls(TlsCredentials, PeerAllowList)}, with the records run by {@code provider}. */
    public static ChannelSecurity tls(TlsCredentials credentials, PeerAllowList allow, TlsProvider provider) {
        return new ChannelSecurity(credentials.canServe() ? credentials.serverEngines(allow, provider) : null,
                credentials.clientEngines(allow, provider), "mutual TLS 1.3 with " + provider.label() + " (CA "
                + credentials.caName() + "; peers: " + allow.describe() + ")");
    }

    /**
     * As {@link #tls(TlsCredentials, PeerAllowList, TlsProvider)}, for a process that only connects (a command):
     * no server side is built, which is half of what building costs.
     */
    public static ChannelSecurity tlsClient(TlsCredentials credentials, PeerAllowList allow, TlsProvider provider) {
        return new ChannelSecurity(null, credentials.clientEngines(allow, provider), "mutual TLS 1.3 with "
                + provider.label() + " (CA " + credentials.caName() + "; peers: " + allow.describe()
                + "), connecting only");
    }

    public boolean isTls() {
        return client != null;
    }

    /** A client engine for one connection; {@code peerHost} and {@code peerPort} only label the session. */
    public TlsEngine clientEngine(String peerHost, int peerPort) {
        if (client == null) {
            throw new IllegalStateException("plain connections have no TLS engine");
        }
        return client.newEngine(peerHost, peerPort);
    }

    /** A server engine for one accepted connection; it demands the client's certificate. */
    public TlsEngine serverEngine() {
        if (server == null) {
            throw new IllegalStateException(client == null ? "plain connections have no TLS engine"
                    : "this side serves no TLS connections (no server certificate, or it only connects)");
        }
        return server.newEngine(null, -1);
    }

    /** For the daemon's start line. */
    public String describe() {
        return description;
    }
}
