package org.xenpostcopy.fuzz;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.xenpostcopy.migration.tls.TlsCredentials;

/**
 * Who the fuzzer is in a TLS handshake: the client pair of a host directory that {@code xlpc tls init} made, or no
 * certificate at all; it speaks TLS 1.3 unless told otherwise. The fuzzer checks nothing of the daemon it attacks
 * (whatever certificate it shows is taken), so the daemon's own checks are what a refusal comes from. Built with the
 * JDK alone from the PEM files, not with the project's {@code ChannelSecurity}: the fuzzer is not the project's
 * client, and needs engines that client never makes (no certificate, an old protocol).
 */
final class FuzzerIdentity {
    private final SSLContext context;
    private final String[] protocols;
    private final String name;

    private FuzzerIdentity(SSLContext context, String[] protocols, String name) {
        this.context = context;
        this.protocols = protocols;
        this.name = name;
    }

    /** The client certificate and key of {@code hostDir} ({@code client-cert.pem}, {@code client-key.pem}). */
    static FuzzerIdentity of(Path hostDir) {
        try {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("fuzzer", privateKey(hostDir.resolve(TlsCredentials.CLIENT_KEY)), new char[0],
                    certificates(hostDir.resolve(TlsCredentials.CLIENT_CERT)));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);
            return new FuzzerIdentity(context(kmf.getKeyManagers()), new String[] {"TLSv1.3"},
                    hostDir.getFileName().toString());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("the fuzzer's credentials in " + hostDir + ": " + e, e);
        }
    }

    /** A client that shows no certificate when the daemon asks for one. */
    static FuzzerIdentity anonymous() {
        return new FuzzerIdentity(context(new KeyManager[0]), new String[] {"TLSv1.3"}, "no certificate");
    }

    /** The same certificate, offering only {@code protocol} (TLS 1.2, say: the daemons speak 1.3 alone). */
    FuzzerIdentity speaking(String protocol) {
        return new FuzzerIdentity(context, new String[] {protocol}, name + " over " + protocol);
    }

    /** A client engine for one connection. */
    SSLEngine engine() {
        SSLEngine e = context.createSSLEngine("fuzzed-daemon", 0);
        e.setUseClientMode(true);
        e.setEnabledProtocols(protocols);
        return e;
    }

    @Override
    public String toString() {
        return name;
    }

    private static SSLContext context(KeyManager[] keys) {
        try {
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(keys, new TrustManager[] {new TakesAnyServer()}, new SecureRandom());
            return c;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Certificate[] certificates(Path file) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in).toArray(new Certificate[0]);
        }
    }

    /** An unencrypted PKCS#8 EC key ({@code BEGIN PRIVATE KEY}), as {@code xlpc tls init} writes it. */
    private static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        String pem = Files.readString(file, StandardCharsets.US_ASCII);
        String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    }

    /** The fuzzer takes whatever server it reaches. */
    private static final class TakesAnyServer extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
