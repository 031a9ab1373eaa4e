package org.xenpostcopy.migration.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lab CA's certificates, the credentials directory's rules, and names on the allow-list. */
class TlsCredentialsTest {
    @TempDir
    Path tmp;

    @Test
    void aLabHostsCertificatesNameItAndAreSignedByTheLabCaForTheirRole() throws Exception {
        LabAuthority ca = LabAuthority.openOrCreate(tmp, Duration.ofDays(2));
        Path alpha = ca.issueHost("alpha.lab");
        X509Certificate caCert = PemFiles.certificates(alpha.resolve(TlsCredentials.CA_CERT)).get(0);
        X509Certificate server = PemFiles.certificates(alpha.resolve(TlsCredentials.SERVER_CERT)).get(0);
        X509Certificate client = PemFiles.certificates(alpha.resolve(TlsCredentials.CLIENT_CERT)).get(0);
        server.verify(caCert.getPublicKey());
        client.verify(caCert.getPublicKey());
        assertEquals(List.of("1.3.6.1.5.5.7.3.1"), server.getExtendedKeyUsage(), "serverAuth");
        assertEquals(List.of("1.3.6.1.5.5.7.3.2"), client.getExtendedKeyUsage(), "clientAuth");
        assertEquals(-1, server.getBasicConstraints(), "not a CA");
        PeerIdentity id = PeerIdentity.of(server);
        assertEquals("alpha.lab", id.name());
        assertEquals(List.of("alpha.lab"), id.dnsNames());

        PeerIdentity byAddress = PeerIdentity.of(PemFiles.certificates(ca.issueHost("169.254.10.1")
                .resolve(TlsCredentials.SERVER_CERT)).get(0));
        assertEquals("169.254.10.1", byAddress.name());
        assertEquals(List.of(), byAddress.dnsNames(), "an address goes in an IP SAN, not a DNS one");
    }

    @Test
    void halfAPairIsRefusedNamingTheMissingFileAndNoPairMeansClientOnlyIsNotPossibleWithoutIt() throws Exception {
        Path alpha = LabAuthority.openOrCreate(tmp, Duration.ofDays(2)).issueHost("alpha");
        Files.delete(alpha.resolve(TlsCredentials.SERVER_KEY));
        TlsSetupException half = assertThrows(TlsSetupException.class, () -> TlsCredentials.load(alpha));
        assertEquals(alpha.resolve(TlsCredentials.SERVER_KEY) + " is missing or unreadable (it goes with "
                + alpha.resolve(TlsCredentials.SERVER_CERT) + ")", half.getMessage());

        Files.delete(alpha.resolve(TlsCredentials.SERVER_CERT));
        TlsCredentials clientOnly = TlsCredentials.load(alpha);
        assertFalse(clientOnly.canServe());
        assertFalse(ChannelSecurity.tls(clientOnly, PeerAllowList.anySignedByTheCa()).describe().isEmpty());

        Files.delete(alpha.resolve(TlsCredentials.CA_CERT));
        TlsSetupException noCa = assertThrows(TlsSetupException.class, () -> TlsCredentials.load(alpha));
        assertTrue(noCa.getMessage().startsWith(alpha.resolve(TlsCredentials.CA_CERT) + " is missing"), noCa.getMessage());
    }

    @Test
    void theAllowListMatchesCommonOrDnsNamesIgnoringCaseAndEmptyMeansAnyoneTheCaSigned() {
        PeerIdentity beta = new PeerIdentity("beta", List.of("beta.lab", "b.lab"), "CN=beta");
        PeerAllowList list = PeerAllowList.parse(" Alpha , B.LAB,, ");
        assertEquals(List.of("alpha", "b.lab"), list.names());
        assertTrue(list.allows(beta));
        assertFalse(PeerAllowList.parse("alpha,gamma").allows(beta));
        assertTrue(PeerAllowList.parse("").allows(beta));
        assertTrue(PeerAllowList.anySignedByTheCa().allows(beta));
    }
}
