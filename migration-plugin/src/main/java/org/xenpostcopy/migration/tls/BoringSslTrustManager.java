package org.xenpostcopy.migration.tls;

import io.netty.handler.ssl.OpenSslCertificateException;
import io.netty.internal.tcnative.CertificateVerifier;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The {@link AllowListTrustManager} as BoringSSL needs it: netty-tcnative turns a refusal it cannot classify into
 * an {@code internal_error} alert, which would tell a refused peer that this host is broken. A refusal leaves here
 * as "certificate rejected" (the peer hears {@code bad_certificate}), its reason kept for this host's own log. (An
 * expired chain is refused so too: {@code AllowListTrustManager} words every PKIX failure as its own.)
 */
final class BoringSslTrustManager extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager checks;

    BoringSslTrustManager(X509ExtendedTrustManager checks) {
        this.checks = checks;
    }

    @FunctionalInterface
    private interface Check {
        void run() throws CertificateException;
    }

    private static void rejecting(Check check) throws CertificateException {
        try {
            check.run();
        } catch (CertificateException e) {
            throw new OpenSslCertificateException(e.getMessage(), e, CertificateVerifier.X509_V_ERR_CERT_REJECTED);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        rejecting(() -> checks.checkClientTrusted(chain, authType, engine));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        rejecting(() -> checks.checkServerTrusted(chain, authType, engine));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        rejecting(() -> checks.checkClientTrusted(chain, authType, socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        rejecting(() -> checks.checkServerTrusted(chain, authType, socket));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        rejecting(() -> checks.checkClientTrusted(chain, authType));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        rejecting(() -> checks.checkServerTrusted(chain, authType));
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return checks.getAcceptedIssuers();
    }
}
