package org.xenpostcopy.migration.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A host's TLS credentials: a directory laid out like QEMU's {@code tls-creds-x509}, all PEM —
 * <pre>
 *   ca-cert.pem       the CA (one or more certificates) that signs every host; the only trust anchor
 *   server-cert.pem   this host as a server (the daemon), signed by the CA; intermediates may follow
 *   server-key.pem    its private key, PKCS#8 (BEGIN PRIVATE KEY; OpenSSL's EC/RSA forms are read too)
 *   client-cert.pem   this host as a client (its outgoing migration connections, the xlpc commands)
 *   client-key.pem    its private key
 * </pre>
 * A daemon needs all five; a machine that only runs {@code xlpc} commands needs the CA and the client pair.
 */
public final class TlsCredentials {
    public static final String CA_CERT = "ca-cert.pem";
    public static final String SERVER_CERT = "server-cert.pem";
    public static final String SERVER_KEY = "server-key.pem";
    public static final String CLIENT_CERT = "client-cert.pem";
    public static final String CLIENT_KEY = "client-key.pem";

    /** A private key and the certificate chain that goes with it. */
    private record KeyPairFiles(PrivateKey key, List<X509Certificate> chain) {
    }

    private static final char[] IN_MEMORY = new char[0];   // the key stores never leave this process

    private final Path dir;
    private final List<X509Certificate> ca;
    private final Optional<KeyPairFiles> server;
    private final Optional<KeyPairFiles> client;

    private TlsCredentials(Path dir, List<X509Certificate> ca, Optional<KeyPairFiles> server, Optional<KeyPairFiles> client) {
        this.dir = dir;
        this.ca = ca;
        this.server = server;
        this.client = client;
    }

    /**
     * Reads the directory; a pair whose two files are both absent is left out, one half of a pair is an error.
     *
     * @throws TlsSetupException naming the file that is missing or unreadable
     */
    public static TlsCredentials load(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new TlsSetupException("TLS credentials directory " + dir + " does not exist");
        }
        Path caFile = dir.resolve(CA_CERT);
        if (!Files.isReadable(caFile)) {
            throw new TlsSetupException(caFile + " is missing or unreadable (see: xlpc tls init --help)");
        }
        return new TlsCredentials(dir, PemFiles.certificates(caFile), pair(dir, SERVER_CERT, SERVER_KEY),
                pair(dir, CLIENT_CERT, CLIENT_KEY));
    }

    private static Optional<KeyPairFiles> pair(Path dir, String certName, String keyName) {
        Path cert = dir.resolve(certName);
        Path key = dir.resolve(keyName);
        if (!Files.exists(cert) && !Files.exists(key)) {
            return Optional.empty();
        }
        for (Path p : new Path[] {cert, key}) {
            if (!Files.isReadable(p)) {
                throw new TlsSetupException(p + " is missing or unreadable (it goes with " + (p == cert ? key : cert) + ")");
            }
        }
        return Optional.of(new KeyPairFiles(PemFiles.privateKey(key), PemFiles.certificates(cert)));
    }

    public Path directory() {
        return dir;
    }

    public boolean canServe() {
        return server.isPresent();
    }

    /** The CA's subject, for messages. */
    String caName() {
        return ca.get(0).getSubjectX500Principal().getName();
    }

    /** Engines for serving with the server pair, trusting the CA and the allow-list. */
    TlsEngineFactory serverEngines(PeerAllowList allow, TlsProvider provider) {
        return engines(server.orElseThrow(() -> new TlsSetupException(dir.resolve(SERVER_CERT) + " and "
                + SERVER_KEY + " are needed to serve TLS")), allow, provider, true);
    }

    /** Engines for connecting with the client pair, trusting the CA and the allow-list. */
    TlsEngineFactory clientEngines(PeerAllowList allow, TlsProvider provider) {
        return engines(client.orElseThrow(() -> new TlsSetupException(dir.resolve(CLIENT_CERT) + " and "
                + CLIENT_KEY + " are needed to connect with TLS")), allow, provider, false);
    }

    private TlsEngineFactory engines(KeyPairFiles own, PeerAllowList allow, TlsProvider provider, boolean serving) {
        try {
            AllowListTrustManager trust = new AllowListTrustManager(pkix(), allow, caName());
            if (provider == TlsProvider.BORINGSSL) {
                return new BoringSslEngineFactory(own.key(), own.chain(), trust, serving);
            }
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("own", own.key(), IN_MEMORY, own.chain().toArray(new X509Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, IN_MEMORY);
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(kmf.getKeyManagers(), new TrustManager[] {trust}, new SecureRandom());
            return new JdkEngineFactory(context, serving);
        } catch (GeneralSecurityException | IOException e) {
            throw new TlsSetupException("cannot use the TLS credentials in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The JDK's PKIX check anchored at the CA file alone. */
    private X509ExtendedTrustManager pkix() throws GeneralSecurityException, IOException {
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        for (int i = 0; i < ca.size(); i++) {
            anchors.setCertificateEntry("ca-" + i, ca.get(i));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(anchors);
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x) {
                return x;
            }
        }
        throw new TlsSetupException("this JDK offers no X.509 trust manager");
    }
}
