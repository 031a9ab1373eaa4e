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
import org.xenpostcopy.migration.tls.TlsProvider;

/**
 * A daemon's endpoint with TLS, against clients of every kind: one it lets in (and whose name its handlers see),
 * one its allow-list refuses, one of another CA, one speaking plain Thrift, and a server the client refuses. A
 * refused client's request never reaches the (mocked) control service. Runs with the preferred provider (BoringSSL
 * where it loads); {@link TlsConnectionJdkTest} runs the same with the JDK's.
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

    TlsProvider provider() {
        return TlsProvider.preferred();
    }

    private ChannelSecurity security(String host, String allow) {
        return ChannelSecurity.tls(TlsCredentials.load(labCa.issueHost(host)), PeerAllowList.parse(allow), provider());
    }

    @Test
    void anAllowedPeerIsServedAndItsHandlersSeeItsCertificateName() {
        try (DaemonConnection beta = DaemonConnection.open(address, "", security("beta", "alpha"))) {
            assertEquals("beta", beta.describe());
        }
    }

    /** Hosts need not run the same provider: the same TLS 1.3 either way. */
    @Test
    void aClientWithTheOtherProviderIsServed() {
        TlsProvider other = provider() == TlsProvider.JDK ? TlsProvider.preferred() : TlsProvider.JDK;
        ChannelSecurity beta = ChannelSecurity.tls(TlsCredentials.load(labCa.issueHost("beta")),
                PeerAllowList.parse("alpha"), other);
        try (DaemonConnection c = DaemonConnection.open(address, "", beta)) {
            assertEquals("beta", c.describe());
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
                PeerAllowList.anySignedByTheCa(), provider());
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
    void aDaemonThatAcceptsButDoesNotHandshakeInTimeIsSlowNotAbsent() throws Exception {
        // A listening socket nobody accepts from: the kernel completes the TCP connect, no TLS ever answers.
        try (java.net.ServerSocket mute = new java.net.ServerSocket(0, 4, java.net.InetAddress.getLoopbackAddress())) {
            InetSocketAddress a = new InetSocketAddress("127.0.0.1", mute.getLocalPort());
            ControlException e = assertThrows(ControlException.class,
                    () -> DaemonConnection.open(a, "", security("beta", ""), Duration.ofMillis(300)));
            assertEquals("TLS with the daemon at 127.0.0.1:" + a.getPort() + " failed (the peer accepted the "
                    + "connection but the TLS handshake did not finish within 300 ms (an overloaded or hung peer; "
                    + "limits.handshake-s gives slow hosts longer))", e.getMessage());
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
            // The JDK's engine answers with an alert, which the client recognises as TLS; BoringSSL just closes.
            assertTrue(e.getMessage().contains("the peer speaks TLS and this end plain TCP")
                    || e.getMessage().contains("a daemon that speaks TLS closes a plain client"), e.getMessage());
            assertTrue(e.getMessage().contains("give both ends TLS credentials"), e.getMessage());
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
                PeerAllowList.parse("beta"), provider())).start();
             DaemonConnection beta = DaemonConnection.open(alpha.address(), "", ChannelSecurity.tls(
                     TlsCredentials.load(made.resolve("beta")), PeerAllowList.parse("alpha"), provider()))) {
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

    /**
     * An allowed peer whose record after the handshake does not authenticate (a forged or corrupted record, as the
     * TLS fuzzer sends): the daemon closes the connection with one line, and nothing is logged as an error — the
     * engine's exception once escaped to libthrift, which logged it with a stack trace.
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aBrokenRecordAfterTheHandshakeClosesTheConnectionWithOneLineAndNoError() throws Exception {
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        java.util.List<java.util.logging.LogRecord> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = capturingInto(logged);
        root.addHandler(capture);
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(address)) {
            ChannelTransport beta = new ChannelTransport(ThriftConnection.config(), ch,
                    security("beta", "alpha").clientEngine("127.0.0.1", address.getPort()),
                    org.xenpostcopy.migration.peer.WireBytes.uncounted());
            assertEquals("alpha", beta.handshake().orElseThrow().name());
            // An application-data record of the right shape whose authentication tag cannot match.
            byte[] record = new byte[5 + 40];
            new java.util.Random(15).nextBytes(record);
            System.arraycopy(new byte[] {23, 3, 3, 0, 40}, 0, record, 0, 5);
            ch.configureBlocking(true);
            ch.write(java.nio.ByteBuffer.wrap(record));
            java.nio.ByteBuffer sink = java.nio.ByteBuffer.allocate(16 << 10);
            while (ch.read(sink.clear()) >= 0) {
                // the daemon's session ticket, then its close
            }
        } finally {
            root.removeHandler(capture);
        }
        assertEquals(java.util.List.of(), logged.stream()
                .filter(r -> r.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue())
                .map(r -> r.getLoggerName() + ": " + r.getMessage()).toList(), "error lines");
        assertEquals(1, logged.stream().filter(r -> r.getLoggerName().equals(IdentifiedConnection.class.getName())
                && r.getMessage().contains("a broken TLS record")).count(), "the one line that says why");
    }

    /**
     * A client that connects and hangs up without a request (a connection opened as a migration ended) finished its
     * handshake: the daemon sees a peer that left, not a refused one. BoringSSL's engine once ended the server's
     * handshake with an underflow, which read on into the client's close and logged a refusal for each.
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aClientThatConnectsAndHangsUpIsNotLoggedAsRefused() throws Exception {
        int clients = 5;
        java.util.List<java.util.logging.LogRecord> logged = connectionLog(() -> {
            for (int i = 0; i < clients; i++) {
                ThriftConnection.open(address, 10_000, security("beta", "alpha")).close();
            }
        }, // Each connection ends in one line: "TLS peer ..." once its handshake is done, or a refusal. A refusal
            // of one of them leaves this waiting to the timeout; the server is the class's, so a refusal an earlier
            // test caused may be logged meanwhile, and is no sign of these clients.
            records -> records.stream().filter(r -> r.getMessage().startsWith("TLS peer")).count() >= clients);
        assertEquals(clients, logged.stream().filter(r -> r.getMessage().startsWith("TLS peer")).count(),
                "every client's handshake finished: " + warnings(logged));
    }

    /** A TCP port probe (connect, hang up, not a byte sent) is no refused peer: nothing at WARNING. */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aPortProbeIsNotLoggedAsRefused() throws Exception {
        // The server is the class's: a refusal an earlier test caused may still be logged while this one runs (CI saw
        // it once), so only the lines about this probe's own connection, told by its port, count.
        java.net.Socket probe = new java.net.Socket();
        java.util.List<java.util.logging.LogRecord> all = connectionLog(() -> {
            probe.connect(address);
            probe.close();
        }, records -> records.stream().anyMatch(r -> r.getMessage().contains("connection from")
                && r.getParameters() != null && r.getParameters().length > 0
                && String.valueOf(r.getParameters()[0]).endsWith(":" + probe.getLocalPort())));
        java.util.List<java.util.logging.LogRecord> logged = all.stream()
                .filter(r -> r.getParameters() != null && r.getParameters().length > 0
                        && String.valueOf(r.getParameters()[0]).endsWith(":" + probe.getLocalPort()))
                .toList();
        assertEquals(java.util.List.of(), warnings(logged), "warnings");
        assertTrue(logged.stream().anyMatch(r -> java.text.MessageFormat.format(r.getMessage(), r.getParameters())
                .contains("without sending anything")), "says what the peer did");
    }

    private interface Action {
        void run() throws Exception;
    }

    /** What the daemon's connection handler logs, at any level, from {@code act} on until {@code done} holds. */
    private static java.util.List<java.util.logging.LogRecord> connectionLog(
            Action act, java.util.function.Predicate<java.util.List<java.util.logging.LogRecord>> done)
            throws Exception {
        java.util.List<java.util.logging.LogRecord> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = capturingInto(logged);
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(IdentifiedConnection.class.getName());
        java.util.logging.Level before = log.getLevel();
        log.setLevel(java.util.logging.Level.FINE);
        log.addHandler(capture);
        try {
            act.run();
            while (!done.test(logged)) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);   // a poll; the test's @Timeout bounds it
            }
        } finally {
            log.removeHandler(capture);
            log.setLevel(before);
        }
        return logged;
    }

    private static java.util.List<String> warnings(java.util.List<java.util.logging.LogRecord> logged) {
        return logged.stream().filter(r -> r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue())
                .map(r -> java.text.MessageFormat.format(r.getMessage(), r.getParameters())).toList();
    }

    /** A log handler that keeps every record it is given, of any level. */
    private static java.util.logging.Handler capturingInto(java.util.List<java.util.logging.LogRecord> logged) {
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                logged.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        capture.setLevel(java.util.logging.Level.ALL);
        return capture;
    }
}
