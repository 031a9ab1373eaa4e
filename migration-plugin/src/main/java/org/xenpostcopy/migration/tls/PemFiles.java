package org.xenpostcopy.migration.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/**
 * PEM files in and out. Certificates are read by the JDK; private keys by BouncyCastle's PEM parser, which takes
 * PKCS#8 ({@code BEGIN PRIVATE KEY}, what we write) and OpenSSL's traditional EC and RSA forms, and converts them
 * with the JDK's own key factories. Encrypted keys are refused: a daemon starts unattended.
 */
final class PemFiles {
    private PemFiles() {
    }

    /** The certificates of a PEM file, in order (a leaf and its intermediates, or CA certificates). */
    static List<X509Certificate> certificates(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(X509Certificate.class::cast).toList();
            if (certs.isEmpty()) {
                throw new TlsSetupException(file + " holds no certificate");
            }
            return certs;
        } catch (IOException | CertificateException e) {
            throw new TlsSetupException("cannot read the certificates of " + file + ": " + e.getMessage(), e);
        }
    }

    static PrivateKey privateKey(Path file) {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser pem = new PEMParser(r)) {
            Object o = pem.readObject();
            JcaPEMKeyConverter convert = new JcaPEMKeyConverter();
            if (o instanceof PrivateKeyInfo info) {
                return convert.getPrivateKey(info);
            }
            if (o instanceof PEMKeyPair pair) {
                return convert.getKeyPair(pair).getPrivate();
            }
            throw new TlsSetupException(file + " holds no unencrypted private key (PEM, PKCS#8: BEGIN PRIVATE KEY)");
        } catch (IOException e) {
            throw new TlsSetupException("cannot read the private key " + file + ": " + e.getMessage(), e);
        }
    }

    static void writeCertificate(Path file, X509Certificate certificate) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.US_ASCII); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(certificate);
        }
    }

    /** PKCS#8, readable by its owner alone (created so, not narrowed afterwards). */
    static void writePrivateKey(Path file, PrivateKey key) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
             JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(new JcaPKCS8Generator(key, null));
        }
    }
}
