package org.xenpostcopy.migration.tls;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

/** Engines from the JDK's own TLS (SunJSSE): heap record buffers, nothing native to free. */
final class JdkEngineFactory implements TlsEngineFactory {
    private static final String[] TLS_1_3 = {"TLSv1.3"};

    private final SSLContext context;
    private final boolean server;

    JdkEngineFactory(SSLContext context, boolean server) {
        this.context = context;
        this.server = server;
    }

    @Override
    public TlsEngine newEngine(String peerHost, int peerPort) {
        SSLEngine e = server ? context.createSSLEngine() : context.createSSLEngine(peerHost, peerPort);
        e.setUseClientMode(!server);
        if (server) {
            e.setNeedClientAuth(true);
        }
        e.setEnabledProtocols(TLS_1_3);
        return new TlsEngine(e, false, () -> { });
    }
}
