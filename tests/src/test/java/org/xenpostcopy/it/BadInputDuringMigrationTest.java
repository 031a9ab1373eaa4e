package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.protocol.ThriftConnection;
import org.xenpostcopy.migration.protocol.Wire;
import org.xenpostcopy.migration.protocol.thrift.MigrationReceiver;
import org.xenpostcopy.migration.protocol.thrift.SourcePages;
import org.xenpostcopy.migration.protocol.thrift.TDomainSpec;
import org.xenpostcopy.migration.protocol.thrift.TErrorCode;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;
import org.xenpostcopy.migration.protocol.thrift.TPages;
import org.xenpostcopy.migration.protocol.thrift.TPrepare;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;

/** Malformed and out-of-range messages are refused with a clear error while a real migration completes intact. */
class BadInputDuringMigrationTest {
    private static TPages pages(long[] gfns, int pageCount) {
        TPages t = new TPages();
        t.gfns = Wire.packGfns(gfns, gfns.length);
        t.pages = ByteBuffer.allocate(pageCount * 4096);
        return t;
    }

    @Test
    void badMessagesAreRefusedAndTheMigrationStillCompletesIntact() throws Exception {
        try (TwoHosts hosts = new TwoHosts()) {
            DomainId d = hosts.bootGuest("vm", 512, "stress-write:64M", 20_000);
            // A shaped link keeps the migration going long enough to be disturbed.
            MigrationOptions options = MigrationOptions.defaults().withPrePaging(PrePaging.BUBBLE).withLink(800, 0)
                    .withBaselineMs(0);
            CompletableFuture<MigrationReport> migration = CompletableFuture.supplyAsync(
                    () -> hosts.source.migrate(d, hosts.destination.address(), options, MigrationProgress.NONE));
            Await.until(() -> !hosts.destination.receiver().activeSessions().isEmpty() || migration.isDone(),
                    Duration.ofSeconds(60), () -> "the migration session to open");
            String session = hosts.destination.receiver().activeSessions().iterator().next();
            // Past the switch: from here on no client, rogue or not, can take the guest back (abort is refused).
            Await.until(() -> migration.isDone() || hosts.destinationHost.domains().lookup("vm")
                            .map(id -> hosts.destinationHost.domains().info(id).state() == DomainInfo.State.RUNNING)
                            .orElse(false),
                    Duration.ofSeconds(60), () -> "the guest to run on the destination");

            // Garbage that is not Thrift at all: the daemon drops that connection and serves on.
            try (Socket raw = new Socket(hosts.destination.address().getAddress(), hosts.destination.address().getPort());
                 OutputStream out = raw.getOutputStream()) {
                byte[] junk = new byte[4096];
                new Random(7).nextBytes(junk);
                out.write(junk);
            }

            try (ThriftConnection rogue = ThriftConnection.open(hosts.destination.address(), 10_000, ChannelSecurity.plain())) {
                MigrationReceiver.Client receiver = rogue.receiver();
                receiver.pushPages(session, pages(new long[] {1L << 40}, 1));          // gfn out of range
                receiver.pushPages(session, pages(new long[] {1, 2, 3}, 2));           // 3 gfns, 2 pages
                receiver.pushPages(session, null);                                     // nothing at all
                receiver.pushPages("no-such-session", pages(new long[] {1}, 1));       // unknown session
                TMigrationError unknown = assertThrows(TMigrationError.class, () -> receiver.complete("nope", 0, false, 1, 0, 0));
                assertEquals(TErrorCode.UNKNOWN_SESSION, unknown.getCode());
                TMigrationError badSpec = assertThrows(TMigrationError.class, () -> receiver.prepare(new TPrepare(
                        "rogue", new TDomainSpec("x", -5, 1, "idle", 1, 0), "127.0.0.1", 1, 0, 0, ByteBuffer.allocate(0),
                        "postcopy")));
                assertEquals(TErrorCode.BAD_REQUEST, badSpec.getCode());
                assertTrue(badSpec.getMessage().contains("at least 16 pages"), badSpec.getMessage());
                TMigrationError twice = assertThrows(TMigrationError.class, () -> receiver.abort(session, "rogue"));
                assertTrue(twice.getMessage().contains("cannot be given back")
                        || twice.getCode() == TErrorCode.UNKNOWN_SESSION, twice.getMessage());
            }
            assertTrue(hosts.destination.receiver().refusedBatches() >= 3, "refused: " + hosts.destination.receiver().refusedBatches());

            try (ThriftConnection rogue = ThriftConnection.open(hosts.source.address(), 10_000, ChannelSecurity.plain())) {
                SourcePages.Client pages = rogue.pages();
                TMigrationError range = assertThrows(TMigrationError.class,
                        () -> pages.fetch(session, Wire.packGfns(new long[] {131_072}, 1)));
                assertTrue(range.getCode() == TErrorCode.BAD_REQUEST || range.getCode() == TErrorCode.UNKNOWN_SESSION);
                if (range.getCode() == TErrorCode.BAD_REQUEST) {
                    assertTrue(range.getMessage().contains("outside the domain's 0..0x1ffff"), range.getMessage());
                }
                TMigrationError ragged = assertThrows(TMigrationError.class, () -> pages.fetch(session, ByteBuffer.allocate(12)));
                assertTrue(ragged.getCode() == TErrorCode.BAD_REQUEST || ragged.getCode() == TErrorCode.UNKNOWN_SESSION);
                TMigrationError nobody = assertThrows(TMigrationError.class, () -> pages.fetch("nope", ByteBuffer.allocate(8)));
                assertEquals(TErrorCode.UNKNOWN_SESSION, nobody.getCode());
            }

            MigrationReport r = migration.get();
            assertTrue(r.verified(), r.verificationNote());
            assertEquals(0, r.mismatchedPages());
            assertEquals(r.vmPages() - r.pagesSkippedBallooned(), r.pagesTransferred() - r.recovery().pagesResent());
            assertEquals(0, r.duplicatePages());
        }
    }
}
