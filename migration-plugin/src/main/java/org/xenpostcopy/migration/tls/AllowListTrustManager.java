package org.xenpostcopy.migration.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies a peer's chain with the JDK's PKIX trust manager (anchored at {@code ca-cert.pem} alone), then lets the
 * peer in only if its name is on the {@link PeerAllowList}. Both checks run inside the handshake, on both ends, so a
 * refused peer's handshake fails with an alert to it and no request of it ever reaches a handler.
 *
 * <p>No endpoint identification (host name = address dialled): hosts are reached by address, often an IP, and the
 * allow-list already says which names this host talks to.
 */
final class AllowListTrustManager extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager pkix;
    private final PeerAllowList allow;
    private final String caName;

    AllowListTrustManager(X509ExtendedTrustManager pkix, PeerAllowList allow, String caName) {
        this.pkix = pkix;
        this.allow = allow;
        this.caName = caName;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        try {
            pkix.checkClientTrusted(chain, authType, engine);
        } catch (CertificateException e) {
            throw notSigned(chain, e);
        }
        checkAllowed(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        try {
            pkix.checkServerTrusted(chain, authType, engine);
        } catch (CertificateException e) {
            throw notSigned(chain, e);
        }
        checkAllowed(chain);
    }

    private CertificateException notSigned(X509Certificate[] chain, CertificateException e) {
        String who = chain.length == 0 ? "no certificate" : PeerIdentity.of(chain[0]).describe();
        // The PKIX reason goes into the sentence, not the cause chain: callers report the innermost message.
        return new CertificateException("the peer's certificate (" + who + ") is not valid under this host's CA ("
                + caName + "): " + e.getMessage());
    }

    private void checkAllowed(X509Certificate[] chain) throws CertificateException {
        PeerIdentity peer = PeerIdentity.of(chain[0]);
        if (!allow.allows(peer)) {
            throw new CertificateException("the peer " + peer.describe() + " is not on this host's tls.allow list ("
                    + allow.describe() + ")");
        }
    }

    // The socket and engine-less forms are never used (connections run on SSLEngines); they check the same.
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkClientTrusted(chain, authType, (SSLEngine) null);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkServerTrusted(chain, authType, (SSLEngine) null);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkClientTrusted(chain, authType, (SSLEngine) null);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkServerTrusted(chain, authType, (SSLEngine) null);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return pkix.getAcceptedIssuers();
    }
}
