package org.xenpostcopy.migration.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A lab CA ({@code xlpc tls init}): its certificate and key in a directory ({@code ca-cert.pem}, {@code ca-key.pem}),
 * and for each host a subdirectory with the five files {@link TlsCredentials} reads — server and client
 * certificates for that host name (CN and DNS SAN; an IP SAN too if the name is an address), ECDSA P-256, signed
 * by the CA. An existing CA in the directory is reused, so hosts can be added later. For a lab: a real deployment
 * uses its own CA (docs/DESIGN.md gives the openssl recipe, which makes the same layout).
 */
public final class LabAuthority {
    public static final String CA_KEY = "ca-key.pem";
    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|[0-9a-fA-F:.]+");
    /** Clocks of lab hosts (QEMU guests among them) drift; certificates are valid from a day before they were made. */
    private static final Duration BACKDATE = Duration.ofDays(1);
    private static final String SIGNATURE = "SHA256withECDSA";

    private final Path dir;
    private final PrivateKey caKey;
    private final X509Certificate caCert;
    private final Duration validity;
    private final SecureRandom random = new SecureRandom();

    private LabAuthority(Path dir, PrivateKey caKey, X509Certificate caCert, Duration validity) {
        this.dir = dir;
        this.caKey = caKey;
        this.caCert = caCert;
        this.validity = validity;
    }

    /** The CA in {@code dir}, made there first if it has none. */
    public static LabAuthority openOrCreate(Path dir, Duration validity) {
        Path cert = dir.resolve(TlsCredentials.CA_CERT);
        Path key = dir.resolve(CA_KEY);
        try {
            Files.createDirectories(dir);
            if (Files.exists(cert) && Files.exists(key)) {
                return new LabAuthority(dir, PemFiles.privateKey(key), PemFiles.certificates(cert).get(0), validity);
            }
            if (Files.exists(cert) || Files.exists(key)) {
                throw new TlsSetupException(dir + " holds only one of " + TlsCredentials.CA_CERT + " and " + CA_KEY);
            }
            LabAuthority made = create(dir, validity);
            PemFiles.writePrivateKey(key, made.caKey);
            PemFiles.writeCertificate(cert, made.caCert);
            return made;
        } catch (IOException e) {
            throw new TlsSetupException("cannot write the lab CA in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static LabAuthority create(Path dir, Duration validity) {
        KeyPair pair = newKeyPair();
        X500Name name = name("xlpc lab CA");
        SecureRandom random = new SecureRandom();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(random), notBefore(),
                    notAfter(validity), name, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate cert = sign(b, pair.getPrivate());
            return new LabAuthority(dir, pair.getPrivate(), cert, validity);
        } catch (IOException | GeneralSecurityException e) {
            throw new TlsSetupException("cannot make the lab CA: " + e.getMessage(), e);
        }
    }

    /** Writes {@code <dir>/<host>/} with the CA certificate and the host's server and client pairs. */
    public Path issueHost(String host) {
        if (!HOST_NAME.matcher(host).matches()) {
            throw new TlsSetupException("'" + host + "' is not a host name (letters, digits, '.', '-')");
        }
        Path hostDir = dir.resolve(host);
        try {
            Files.createDirectories(hostDir);
            PemFiles.writeCertificate(hostDir.resolve(TlsCredentials.CA_CERT), caCert);
            issue(host, KeyPurposeId.id_kp_serverAuth, hostDir.resolve(TlsCredentials.SERVER_CERT),
                    hostDir.resolve(TlsCredentials.SERVER_KEY));
            issue(host, KeyPurposeId.id_kp_clientAuth, hostDir.resolve(TlsCredentials.CLIENT_CERT),
                    hostDir.resolve(TlsCredentials.CLIENT_KEY));
            return hostDir;
        } catch (IOException | GeneralSecurityException e) {
            throw new TlsSetupException("cannot write the credentials of " + host + " in " + hostDir + ": " + e.getMessage(), e);
        }
    }

    private void issue(String host, KeyPurposeId purpose, Path certFile, Path keyFile)
            throws IOException, GeneralSecurityException {
        KeyPair pair = newKeyPair();
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        GeneralName alt = isAddress(host) ? new GeneralName(GeneralName.iPAddress, host)
                : new GeneralName(GeneralName.dNSName, host);
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(caCert, serial(random), notBefore(),
                notAfter(validity), name(host), pair.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alt))
                .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()))
                .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
        X509Certificate cert = sign(b, caKey);
        PemFiles.writePrivateKey(keyFile, pair.getPrivate());
        PemFiles.writeCertificate(certFile, cert);
    }

    private static boolean isAddress(String host) {
        if (!host.matches("[0-9.]+|.*:.*")) {
            return false;
        }
        try {
            InetAddress.getByName(host);   // a literal: no lookup is made
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(SIGNATURE).build(signer)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new TlsSetupException("this JDK cannot make P-256 keys: " + e.getMessage(), e);
        }
    }

    private static X500Name name(String cn) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn).build();
    }

    private static BigInteger serial(SecureRandom random) {
        return new BigInteger(63, random).add(BigInteger.ONE);
    }

    private static Date notBefore() {
        return Date.from(Instant.now().minus(BACKDATE));
    }

    private static Date notAfter(Duration validity) {
        return Date.from(Instant.now().plus(validity));
    }
}
