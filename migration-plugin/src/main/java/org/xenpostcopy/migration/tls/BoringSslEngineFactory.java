package org.xenpostcopy.migration.tls;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Engines from BoringSSL through netty-tcnative, used only as {@link SSLEngine}s: no Netty channel, pipeline or
 * event loop — the daemon's own transport drives them. The certificate checks are still ours: BoringSSL hands
 * the peer's chain to the same {@link AllowListTrustManager} the JDK's engine uses. Direct record buffers (a heap
 * buffer would be copied into a direct one on every call); the native state is freed when the connection closes.
 */
final class BoringSslEngineFactory implements TlsEngineFactory {
    private final SslContext context;
    private final boolean server;

    /**
     * The key and chain are given as they are, not through a {@code KeyManagerFactory}: BoringSSL then takes the key
     * once, here (a key it cannot use fails the daemon's start, not a later handshake), not at every handshake.
     */
    BoringSslEngineFactory(PrivateKey key, List<X509Certificate> chain, X509ExtendedTrustManager trust,
                           boolean server) {
        this.server = server;
        SslContextBuilder b = server ? SslContextBuilder.forServer(key, chain).clientAuth(ClientAuth.REQUIRE)
                : SslContextBuilder.forClient().keyManager(key, chain)
                        // Peers are named by the allow-list, not by the address dialled (see AllowListTrustManager).
                        .endpointIdentificationAlgorithm(null);
        try {
            context = b.sslProvider(SslProvider.OPENSSL).protocols("TLSv1.3")
                    .trustManager(new BoringSslTrustManager(trust)).build();
        } catch (SSLException e) {
            throw new TlsSetupException("BoringSSL refused these TLS credentials: " + e.getMessage(), e);
        }
    }

    @Override
    public TlsEngine newEngine(String peerHost, int peerPort) {
        SSLEngine e = server ? context.newEngine(UnpooledByteBufAllocator.DEFAULT)
                : context.newEngine(UnpooledByteBufAllocator.DEFAULT, peerHost, peerPort);
        return new TlsEngine(e, true, () -> ReferenceCountUtil.release(e));
    }
}
