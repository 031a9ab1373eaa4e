package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.thrift.TException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.protocol.ThriftConnection;
import org.xenpostcopy.migration.protocol.Wire;
import org.xenpostcopy.migration.protocol.thrift.MigrationReceiver;
import org.xenpostcopy.migration.protocol.thrift.TErrorCode;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;
import org.xenpostcopy.migration.protocol.thrift.TPages;
import org.xenpostcopy.migration.protocol.thrift.TResume;
import org.xenpostcopy.migration.protocol.thrift.TVcpuState;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.GfnBitmap;

/**
 * Authorisation bound to the TLS identity, with certificates made by {@code xlpc tls init}: a third host, mallory,
 * whose certificate is from the same CA and on both hosts' allow-lists, knows the session id of a migration
 * between source and destination (as an eavesdropper of a plain link would) and tries every call of it, on both
 * hosts, while it runs. Every call is refused, and the migration completes verified with every page sent once.
 * And a client of another CA, or one the allow-list leaves out, is refused by every service.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SessionIdentityTest {
    private TlsLab lab;
    private TlsLab otherLab;

    @BeforeAll
    void makeCredentialsWithXlpcTlsInit(@TempDir Path tmp) {
        lab = TlsLab.init(tmp.resolve("lab"), "source", "destination", "mallory", "outsider");
        otherLab = TlsLab.init(tmp.resolve("other-lab"), "mallory");
    }

    private interface Call {
        void run() throws TException;
    }

    private static void assertUnauthorized(String what, Call call) {
        TMigrationError e = assertThrows(TMigrationError.class, call::run, what);
        assertEquals(TErrorCode.UNAUTHORIZED, e.getCode(), what + ": " + e.getMessage());
        assertTrue(e.getMessage().contains("belongs to CN=source") || e.getMessage().contains("belongs to CN=destination"),
                e.getMessage());
    }

    @Test
    void aSecondIdentityCannotTouchAFirstIdentitysSessionOnEitherHost() throws Exception {
        ChannelSecurity mallory = lab.host("mallory", "source,destination");
        try (TwoHosts hosts = new TwoHosts(lab.host("source", "destination,mallory"),
                lab.host("destination", "source,mallory"))) {
            DomainId d = hosts.bootGuest("vm", 128, "stress-write:16M", 2_000);
            // Demand paging only for a while, so pages are still owed while mallory tries.
            CompletableFuture<MigrationReport> migration = hosts.startMigration(d, MigrationOptions.defaults()
                    .withPrePaging(PrePaging.DEMAND).withDemandOnlyMs(1_500).withBaselineMs(0));
            Await.until(() -> !hosts.destination.receiver().activeSessions().isEmpty() || migration.isDone(),
                    Duration.ofSeconds(60), () -> "the session to be prepared");
            String session = hosts.destination.receiver().activeSessions().iterator().next();

            try (ThriftConnection toSource = ThriftConnection.open(hosts.source.address(), 10_000, mallory)) {
                // "already sent" for every page it fetched would leave the real destination waiting for ever
                ByteBuffer everyPage = Wire.packGfns(java.util.stream.LongStream.range(0, 1024).toArray(), 1024);
                assertUnauthorized("fetch at the source", () -> toSource.pages().fetch(session, everyPage));
            }
            try (ThriftConnection toDestination = ThriftConnection.open(hosts.destination.address(), 10_000, mallory)) {
                MigrationReceiver.Client r = toDestination.receiver();
                TResume resume = new TResume(session, List.of(new TVcpuState(0, ByteBuffer.wrap(new byte[64]))),
                        Wire.packBitmap(new GfnBitmap(32_768)), 0);
                assertUnauthorized("resume", () -> r.resume(resume));
                assertUnauthorized("abort", () -> r.abort(session, "mine now"));
                assertUnauthorized("heartbeat", () -> r.heartbeat(session));
                assertUnauthorized("reconnect", () -> r.reconnect(session, "127.0.0.1", 1));
                assertUnauthorized("recovered", () -> r.recovered(session));
                assertUnauthorized("complete", () -> r.complete(session, 0, false, 1, 0, 0));
                long refusedBefore = hosts.destination.receiver().refusedBatches();
                // Pages of its own: a oneway call cannot be answered; they are dropped, counted against no session.
                r.pushPages(session, new TPages(Wire.packGfns(new long[] {7}, 1), ByteBuffer.allocate(4096)));
                // A round trip on the same connection, so the push above has been handled.
                assertEquals(TErrorCode.UNKNOWN_SESSION,
                        assertThrows(TMigrationError.class, () -> r.heartbeat("another-session")).getCode());
                assertEquals(refusedBefore, hosts.destination.receiver().refusedBatches());
            }

            MigrationReport report = migration.get();
            assertTrue(report.verified(), report.verificationNote());
            assertEquals(0, report.mismatchedPages());
            assertEquals(report.vmPages() - report.pagesSkippedBallooned(), report.pagesTransferred() - report.recovery().pagesResent(),
                    "every page sent once: mallory's fetch claimed none");
        }
    }

    @Test
    void clientsOfAnotherCaOrOffTheAllowListAreRefusedByEveryService() {
        ChannelSecurity daemon = lab.host("destination", "source,mallory");
        try (TwoHosts hosts = new TwoHosts(lab.host("source", "destination"), daemon)) {
            for (ChannelSecurity stranger : List.of(otherLab.host("mallory", ""), lab.host("outsider", ""))) {
                List<Service> services = List.<Service>of(
                        c -> c.receiver().heartbeat("s1"),
                        c -> c.pages().fetch("s1", ByteBuffer.allocate(8)),
                        c -> c.control().describe(""));
                for (Service service : services) {
                    Exception e = assertThrows(Exception.class, () -> {
                        try (ThriftConnection c = connect(hosts, stranger)) {
                            service.call(c);
                        }
                    });
                    assertTrue(e instanceof MigrationException || e instanceof org.apache.thrift.transport.TTransportException,
                            e.toString());
                    assertTrue(!(e instanceof TMigrationError), "refused at the handshake, not by a handler");
                }
            }
        }
    }

    private interface Service {
        void call(ThriftConnection c) throws TException;
    }

    private static ThriftConnection connect(TwoHosts hosts, ChannelSecurity security) {
        return ThriftConnection.open(hosts.destination.address(), 10_000, security);
    }
}
