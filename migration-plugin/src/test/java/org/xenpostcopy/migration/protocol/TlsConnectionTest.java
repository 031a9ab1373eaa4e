package org.xenpostcopy.migration.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.control.ControlException;
import org.xenpostcopy.migration.control.DaemonControl;
import org.xenpostcopy.migration.control.SharedToken;
import org.xenpostcopy.migration.source.PageServer;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.migration.tls.LabAuthority;
import org.xenpostcopy.migration.tls.PeerAllowList;
import org.xenpostcopy.migration.tls.PeerIdentity;
import org.xenpostcopy.migration.tls.TlsCredentials;

/**
 * A daemon's endpoint with TLS, against clients of every kind: one it lets in (and whose name its handlers see),
 * one its allow-list refuses, one of another CA, one speaking plain Thrift, and a server the client refuses. A
 * refused client's request never reaches the (mocked) control service.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsConnectionTest {
    private Path dir;
    private LabAuthority labCa;
    private MigrationServer server;
    private DaemonControl control;
    private InetSocketAddress address;

    @BeforeAll
    void serveAsAlphaAllowingBeta(@TempDir Path tmp) {
        dir = tmp;
        labCa = LabAuthority.openOrCreate(dir.resolve("lab"), Duration.ofDays(1));
        control = mock(DaemonControl.class);
        // describe() answers with the name of the peer whose request it serves, as a handler sees it.
        when(control.describe()).thenAnswer(call -> CallingPeer.current().map(PeerIdentity::name).orElse("nobody"));
        server = new MigrationServer(new InetSocketAddress("127.0.0.1", 0), null, new PageServer(), control,
                SharedToken.none(), security("alpha", "beta")).start();
        address = server.address();
    }

    @AfterAll
    void stop() {
        server.close();
    }

    private ChannelSecurity security(String host, String allow) {
        return ChannelSecurity.tls(TlsCredentials.load(labCa.issueHost(host)), PeerAllowList.parse(allow));
    }

    @Test
    void anAllowedPeerIsServedAndItsHandlersSeeItsCertificateName() {
        try (DaemonConnection beta = DaemonConnection.open(address, "", security("beta", "alpha"))) {
            assertEquals("beta", beta.describe());
        }
    }

    @Test
    void aPeerOfTheCaButNotOnTheAllowListIsRefusedBeforeAnyRequestIsDispatched() {
        DaemonControl untouched = mock(DaemonControl.class);
        try (MigrationServer strict = new MigrationServer(new InetSocketAddress("127.0.0.1", 0), null, new PageServer(),
                untouched, SharedToken.none(), security("alpha", "beta")).start();
             DaemonConnection mallory = DaemonConnection.open(strict.address(), "", security("mallory", ""))) {
            ControlException e = assertThrows(ControlException.class, mallory::describe);
            assertTrue(e.getMessage().contains("the peer refused this connection"), e.getMessage());
            verifyNoInteractions(untouched);
        }
    }

    @Test
    void aPeerOfAnotherCaIsRefused() {
        LabAuthority otherCa = LabAuthority.openOrCreate(dir.resolve("other"), Duration.ofDays(1));
        ChannelSecurity eve = ChannelSecurity.tls(TlsCredentials.load(otherCa.issueHost("beta")),
                PeerAllowList.anySignedByTheCa());
        ControlException e = assertThrows(ControlException.class, () -> DaemonConnection.open(address, "", eve));
        assertTrue(e.getMessage().startsWith("TLS with the daemon at 127.0.0.1:" + address.getPort() + " failed ("
                + "the peer's certificate (CN=alpha, DNS=alpha) is not valid under this host's CA"), e.getMessage());
    }

    @Test
    void aTlsClientOfAPlainServerIsToldWhy() {
        DaemonControl untouched = mock(DaemonControl.class);
        try (MigrationServer plainServer = new MigrationServer(new InetSocketAddress("127.0.0.1", 0), null,
                new PageServer(), untouched, SharedToken.none(), ChannelSecurity.plain()).start()) {
            ControlException e = assertThrows(ControlException.class,
                    () -> DaemonConnection.open(plainServer.address(), "", security("beta", "")));
            assertTrue(e.getMessage().contains("failed (the peer closed the connection during the TLS handshake"),
                    e.getMessage());
            verifyNoInteractions(untouched);
        }
    }

    @Test
    void aServerNotOnTheClientsAllowListIsRefusedByTheClient() {
        MigrationException e = assertThrows(MigrationException.class,
                () -> ThriftConnection.open(address, 10_000, security("beta", "gamma")));
        assertTrue(e.getMessage().contains("the peer CN=alpha, DNS=alpha is not on this host's tls.allow list (gamma)"),
                e.getMessage());
    }

    @Test
    void aPlainClientIsRefusedAndNothingOfItIsDispatched() {
        DaemonControl untouched = mock(DaemonControl.class);
        try (MigrationServer tlsOnly = new MigrationServer(new InetSocketAddress("127.0.0.1", 0), null, new PageServer(),
                untouched, SharedToken.none(), security("alpha", "")).start();
             DaemonConnection plain = DaemonConnection.open(tlsOnly.address(), "", ChannelSecurity.plain())) {
            ControlException e = assertThrows(ControlException.class, plain::describe);
            assertTrue(e.getMessage().contains("the peer speaks TLS and this end plain TCP"), e.getMessage());
            verifyNoInteractions(untouched);
        }
    }

    /** scripts/tls-openssl.sh is the documented way to make credentials without xlpc: they must work as well. */
    @Test
    void credentialsMadeWithTheOpensslRecipeWork() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "skipped: openssl is not installed");
        Path made = dir.resolve("openssl");
        Process p = new ProcessBuilder("bash", Path.of("..", "scripts", "tls-openssl.sh").toString(), made.toString(),
                "alpha", "beta").redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), output);
        try (MigrationServer alpha = new MigrationServer(new InetSocketAddress("127.0.0.1", 0), null, new PageServer(),
                control, SharedToken.none(), ChannelSecurity.tls(TlsCredentials.load(made.resolve("alpha")),
                PeerAllowList.parse("beta"))).start();
             DaemonConnection beta = DaemonConnection.open(alpha.address(), "", ChannelSecurity.tls(
                     TlsCredentials.load(made.resolve("beta")), PeerAllowList.parse("alpha")))) {
            assertEquals("beta", beta.describe());
        }
    }

    @Test
    void aPlainConnectionHasNoPeerIdentity() {
        DaemonControl plainControl = mock(DaemonControl.class);
        when(plainControl.describe()).thenAnswer(call -> CallingPeer.current().map(PeerIdentity::name).orElse("nobody"));
        try (MigrationServer plainServer = new MigrationServer(new InetSocketAddress("127.0.0.1", 0), null,
                new PageServer(), plainControl, SharedToken.none(), ChannelSecurity.plain()).start();
             DaemonConnection c = DaemonConnection.open(plainServer.address(), "", ChannelSecurity.plain())) {
            assertEquals("nobody", c.describe());
        }
    }
}
