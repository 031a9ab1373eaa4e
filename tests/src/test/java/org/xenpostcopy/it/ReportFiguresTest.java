package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.destination.IncomingMigrations;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.emulated.guest.PagePattern;

/**
 * The report's figures checked against what their names claim, each by a measurement of its own: bytes against a
 * relay that counts what crosses it, fault latency against a link that holds every fetched page for a known time,
 * the total against its parts, and the oracle against a page spoiled on the wire.
 */
class ReportFiguresTest {
    /** The seed {@link TwoHosts#bootGuest} gives its guests. */
    private static final long GUEST_SEED = 42;
    private static final byte[] NO_PATTERN = {(byte) 0xA5, 0x5A, (byte) 0xA5, 0x5A, 0x13, 0x37, 0x13, 0x37};

    /**
     * Pre-copy opens connections from the source only, so every byte of the migration crosses a relay put in front
     * of the destination: the report's count must be the relay's, less at most what passes after the report is
     * built (the connections' closing).
     */
    @Test
    void bytesTransferredAreTheBytesThatCrossedTheSockets() throws Exception {
        try (TwoHosts hosts = new TwoHosts();
             RecordingRelay relay = new RecordingRelay(hosts.destination.address(), NO_PATTERN)) {
            DomainId d = hosts.bootGuest("vm", 128, "stress-write:16M", 2_000);
            MigrationReport r = hosts.source.migrate(d, relay.address(), MigrationOptions.defaults()
                    .withMode(MigrationMode.PRECOPY).withBaselineMs(0).withDsb(false), MigrationProgress.NONE);

            assertTrue(r.verified(), r.verificationNote());
            assertEquals(r.bytesTransferred(), r.bytesToDestination() + r.bytesToSource());
            assertTrue(r.bytesToDestination() >= r.pagesTransferred() * (long) Gfn.PAGE_SIZE,
                    r.bytesToDestination() + " bytes cannot carry " + r.pagesTransferred() + " pages");
            assertTrue(r.bytesToSource() > 0, "replies count too");
            MigrationReport.PagerWaits none = r.pagerWaitsByArrival();
            for (MigrationReport.Waits w : List.of(none.byFetch(), none.byPush(), none.alreadyHere())) {
                assertEquals(0, w.requests(), "pre-copy pages nothing out, so nothing waits for the pager: " + none);
            }
            long relayed = relay.bytesRelayed();
            assertTrue(r.bytesTransferred() <= relayed && r.bytesTransferred() >= relayed - 64 * 1024,
                    "report " + r.bytesTransferred() + " bytes, relay " + relayed);
            assertEquals("guest", r.downtimeFrom(), "the emulated host tells the guest's own instants");
            assertTrue(r.totalMigrationMs() >= r.prepareMs() + r.downtimeMs(),
                    "the total covers its parts: " + r.totalMigrationMs() + " < " + r.prepareMs() + " + " + r.downtimeMs());
        }
    }

    /**
     * Each demand request and each reply crosses a 25 ms link, so a vCPU that faults on a page not yet here waits at
     * least 50 ms: the fault latency, which is the vCPU's own wait, must say so. An idle guest touches its 16 timer
     * pages only, all within the demand-only span, so every fault it takes is a network fault.
     */
    @Test
    void faultLatencyIsHowLongTheVcpuWaited() {
        try (TwoHosts hosts = new TwoHosts();
             LogWatch waits = new LogWatch(IncomingMigrations.class, "by what brought the page")) {
            DomainId d = hosts.bootGuest("vm", 128, "idle", 20);
            MigrationReport r = hosts.source.migrate(d, hosts.destination.address(), MigrationOptions.defaults()
                    .withPrePaging(PrePaging.DEMAND).withLink(0, 25).withBaselineMs(0).withDsb(false)
                    .withDemandOnlyMs(3_000), MigrationProgress.NONE);

            assertTrue(r.verified(), r.verificationNote());
            assertTrue(r.networkFaults() >= 8, "the guest faulted on its timer pages: " + r.networkFaults());
            assertTrue(r.faultLatencyUs().known(), "the emulated host tells how long its vCPU stayed blocked");
            assertTrue(r.faultLatencyUs().p50() >= 50_000, "p50 " + r.faultLatencyUs().p50() + " us < 2 x 25 ms");
            assertTrue(r.faultLatencyUs().max() >= r.faultLatencyUs().p99()
                    && r.faultLatencyUs().p99() >= r.faultLatencyUs().p50());
            assertTrue(r.pagerLatencyUs().p50() >= 25_000, "the pager waits for the reply's crossing too");
            // Every fault came in the demand-only span, so a fetch's reply brought each page: the destination's split
            // of the pager's waits must put them there, with the reply's crossing in them.
            Matcher fetched = Pattern.compile("(\\d+) requests by a fetch's reply \\(p50 ([0-9.]+) ms")
                    .matcher(String.valueOf(waits.lastSaid()));
            assertTrue(fetched.find(), "no split of the waits logged: " + waits.lastSaid());
            assertTrue(Long.parseLong(fetched.group(1)) >= 8, waits.lastSaid());
            assertTrue(Double.parseDouble(fetched.group(2)) >= 25, waits.lastSaid());
            // The same split reaches the report, across the completion's Thrift.
            MigrationReport.PagerWaits split = r.pagerWaitsByArrival();
            MigrationReport.Waits byFetch = split.byFetch();
            assertTrue(byFetch.requests() >= 8, "requests a fetch's reply answered: " + byFetch);
            assertTrue(byFetch.latencyUs().p50() >= 25_000, "the reply's crossing is in them: " + byFetch);
            for (MigrationReport.Waits w : List.of(byFetch, split.byPush(), split.alreadyHere())) {
                assertTrue(w.requests() >= 0, "every bucket is counted, though some may hold none: " + split);
                MigrationReport.FaultLatency l = w.latencyUs();
                assertTrue(l.p50() <= l.p99() && l.p99() <= l.max(), "percentiles in order: " + w);
            }
            // Each network fault is at least one request that waited for a fetch or the push.
            assertTrue(byFetch.requests() + split.byPush().requests() >= r.networkFaults(), split + " vs "
                    + r.networkFaults() + " network faults");
            assertTrue(r.bytesToSource() > 0, "the destination's demand connection is counted");
            assertTrue(r.totalMigrationMs() >= r.prepareMs() + r.postCopyMs(),
                    "one clock from start to completion covers prepare and post-copy");
        }
    }

    /**
     * One guest page's contents spoiled on the way, its frame intact so the books add up: the destination's check of
     * the guest's memory must catch it. The guest is paused first, so that page crosses exactly once.
     */
    @Test
    void aPageSpoiledOnTheWireFailsVerification() throws Exception {
        try (TwoHosts hosts = new TwoHosts()) {
            DomainId d = hosts.bootGuest("vm", 128, "stress-write:16M", 2_000);
            hosts.sourceHost.domains().pause(d);
            byte[] needle = firstBytesOfADataPage(hosts, d);
            AtomicLong spoiled = new AtomicLong();
            try (PageSpoilingRelay relay = new PageSpoilingRelay(hosts.destination.address(), needle, spoiled)) {
                MigrationReport r = hosts.source.migrate(d, relay.address(), MigrationOptions.defaults()
                        .withMode(MigrationMode.PRECOPY).withBaselineMs(0).withDsb(false), MigrationProgress.NONE);

                assertEquals(1, spoiled.get(), "the relay spoiled one page");
                assertFalse(r.verified(), "a spoiled page must not pass: " + r.verificationNote());
                assertTrue(r.mismatchedPages() >= 1, r.verificationNote());
                assertEquals(0, r.duplicatePages(), "every page still arrived once");
            }
        }
    }

    /** The first 48 bytes (gfn, version, pattern) of the highest page holding the guest's data: found once. */
    private static byte[] firstBytesOfADataPage(TwoHosts hosts, DomainId d) {
        ByteBuffer page = ByteBuffer.allocate(Gfn.PAGE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        for (long g = hosts.sourceHost.memory().gfnCount(d) - 1; g >= 0; g--) {
            page.clear();
            hosts.sourceHost.memory().read(d, Gfn.of(g), page);
            if (PagePattern.matches(page, 0, GUEST_SEED, g, PagePattern.claimedVersion(page, 0))) {
                return Arrays.copyOf(page.array(), 48);
            }
        }
        throw new AssertionError("no page of the guest holds its data");
    }
}
