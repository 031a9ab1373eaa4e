package org.xenpostcopy.xen.emulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.NoSuchDomainException;
import org.xenpostcopy.xen.P2mType;
import org.xenpostcopy.xen.PagingRequest;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.emulated.guest.GuestOracle;
import org.xenpostcopy.xen.ring.VmEvent;

/** Xen's mem_paging contract on the emulated host. */
class EmulatedPagingTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private final EmulatedXenHost host = new EmulatedXenHost("test");

    @AfterEach
    void close() {
        host.close();
    }

    private DomainId runningGuest(String workload, long mib, long minOps) {
        DomainId d = host.domains().create(DomainConfig.ofMiB("guest", mib, workload, 42), true);
        host.domains().unpause(d);
        Await.until(() -> host.guestOps(d) >= minOps, WAIT, () -> "guest reaching " + minOps + " ops");
        return d;
    }

    @Test
    void everyPageEvictedAndTheGuestRunsOnWhileAPagerServesTheRingFromASavedCopy() throws Exception {
        DomainId d = runningGuest("stress-write:8M@0", 64, 3_000);
        host.domains().pause(d);
        long before = host.guestOps(d);
        try (TestPager pager = new TestPager(host, d, TestPager.inMemory())) {
            long evicted = pager.pageOutAll();
            assertEquals(16384, evicted);
            assertEquals(16384, host.domains().info(d).pagedPages());
            pager.start();
            host.domains().unpause(d);
            Await.until(() -> host.guestOps(d) >= before + 20_000, WAIT, () -> "20000 more guest ops on paged memory");
            host.domains().pause(d);
            assertNull(pager.failure());
            assertTrue(pager.requestsServed() > 2048, "the guest faulted its working set in: " + pager.requestsServed());
            assertTrue(host.vcpuFaults(d) >= pager.requestsServed() - 1);
            pager.pageInAll();
            assertEquals(0, host.domains().info(d).pagedPages());
            GuestOracle.Verdict v = GuestOracle.verify(host.memory(), d, host.domains().vcpuStates(d));
            assertTrue(v.clean(), v.problems().toString());
            assertEquals(0, host.guestConsole(d).mismatches());
            assertTrue(host.guestConsole(d).checks() == 0, "stress-write only writes");
            assertTrue(host.guestCrash(d).isEmpty());
        }
    }

    @Test
    void oracleCatchesAStalePage() {
        DomainId d = runningGuest("stress-write:1M@0", 16, 2_000);
        host.domains().pause(d);
        long gfn = firstDataGfnWithVersionAtLeast(d, 1);
        ByteBuffer old = ByteBuffer.allocateDirect(4096);
        host.memory().read(d, Gfn.of(gfn), old);
        long ops = host.guestOps(d);
        host.domains().unpause(d);
        Await.until(() -> host.guestOps(d) > ops + 1_000, WAIT, () -> "the working set rewritten");
        host.domains().pause(d);
        assertTrue(GuestOracle.verify(host.memory(), d, host.domains().vcpuStates(d)).clean());
        old.flip();
        host.memory().write(d, Gfn.of(gfn), old);   // roll the page back: stale
        GuestOracle.Verdict v = GuestOracle.verify(host.memory(), d, host.domains().vcpuStates(d));
        assertEquals(1, v.mismatchedPages(), v.problems().toString());
        assertTrue(v.problems().get(0).contains(String.format("0x%x", gfn)), v.problems().get(0));
    }

    @Test
    void guestReadsCatchACorruptedPageOnTheirOwn() {
        DomainId d = runningGuest("stress-read:1M@0", 16, 1_000);
        host.domains().pause(d);
        long gfn = firstDataGfnWithVersionAtLeast(d, 1);
        ByteBuffer page = ByteBuffer.allocateDirect(4096);
        host.memory().read(d, Gfn.of(gfn), page);
        page.put(1000, (byte) (page.get(1000) ^ 1));  // one flipped bit
        page.clear();
        host.memory().write(d, Gfn.of(gfn), page);
        long ops = host.guestOps(d);
        host.domains().unpause(d);
        Await.until(() -> host.guestConsole(d).mismatches() > 0, WAIT, () -> "the guest reading the bad page");
        assertTrue(host.guestOps(d) > ops);
        assertTrue(host.guestConsole(d).details().get(0).contains(String.format("0x%x", gfn)));
    }

    @Test
    void aResponseWithTheWrongVersionIsDroppedAndTheVcpuStaysBlocked() throws Exception {
        DomainId d = runningGuest("stress-write:1M@0", 16, 500);
        host.domains().pause(d);
        TestPager.PageStore saved = TestPager.inMemory();
        try (TestPager pager = new TestPager(host, d, saved)) {
            pager.pageOutAll();
            host.domains().unpause(d);
            EmulatedPagingSession session = (EmulatedPagingSession) pager.session();
            List<PagingRequest> reqs = new ArrayList<>();
            while (reqs.isEmpty()) {
                session.awaitRequests(reqs, 1, TimeUnit.SECONDS);
            }
            PagingRequest r = reqs.get(0);
            assertTrue(r.vcpuPaused());
            assertEquals(P2mType.PAGED, r.p2mType());
            long ops = host.guestOps(d);
            pager.pageIn(r.gfn().value(), ByteBuffer.allocateDirect(4096));
            session.respondRaw(new VmEvent(6, 1, 3, r.vcpu(), 0, r.gfn().value(), 0, 0));
            session.pushResponses();
            assertEquals(1, host.droppedPagingResponses(d));
            assertEquals(ops, host.guestOps(d), "the vCPU waits for a valid response, even with the page loaded");
            assertEquals(P2mType.RAM_RW, host.memory().typeOf(d, r.gfn()));
            // As on Xen, the slot is consumed and the vCPU stays paused for good; destroying the domain still works.
            host.domains().destroy(d);
            assertThrows(NoSuchDomainException.class, () -> host.domains().info(d));
        }
    }

    @Test
    void pagingOperationsRefuseWhatXenRefuses() throws Exception {
        DomainId d = runningGuest("idle", 16, 1);
        host.domains().pause(d);
        try (PagingSession s = host.paging().enable(d)) {
            XenException busy = assertThrows(XenException.class, () -> host.paging().enable(d));
            assertTrue(busy.is(Errno.EBUSY));
            long gfn = 3000;
            s.nominate(Gfn.of(gfn));
            ByteBuffer page = ByteBuffer.allocateDirect(4096);
            host.memory().read(d, Gfn.of(gfn), page);
            page.flip();
            host.memory().write(d, Gfn.of(gfn), page);    // a writing mapping cancels the nomination
            assertTrue(assertThrows(XenException.class, () -> s.evict(Gfn.of(gfn))).is(Errno.EBUSY));
            assertTrue(assertThrows(XenException.class, () -> s.load(Gfn.of(gfn), ByteBuffer.allocateDirect(4096)))
                    .is(Errno.ENOENT), "load of a present page: not paged out");
            XenException range = assertThrows(XenException.class, () -> s.nominate(Gfn.of(4096)));
            assertTrue(range.is(Errno.EINVAL));
            assertTrue(range.getMessage().contains("outside the physmap 0..4095"), range.getMessage());
            s.nominate(Gfn.of(gfn));
            host.memory().read(d, Gfn.of(gfn), ByteBuffer.allocateDirect(4096));  // a pager's copy keeps it
            s.evict(Gfn.of(gfn));
            XenException out = assertThrows(XenException.class,
                    () -> host.memory().read(d, Gfn.of(gfn), ByteBuffer.allocateDirect(4096)));
            assertTrue(out.is(Errno.ENOENT) && out.getMessage().contains("paged out"), out.getMessage());
            List<PagingRequest> foreign = new ArrayList<>();
            s.awaitRequests(foreign, 1, TimeUnit.SECONDS);
            assertEquals(1, foreign.size());
            assertTrue(foreign.get(0).foreign() && !foreign.get(0).vcpuPaused());
        }
        assertThrows(NoSuchDomainException.class, () -> host.paging().enable(DomainId.of(99)));
    }

    @Test
    void evictAllPagesAReceiverOutInOneCallAndRefusesWhatNominateRefuses() {
        DomainId d = host.domains().create(DomainConfig.ofMiB("receiver", 16, "idle", 42), false);
        try (PagingSession s = host.paging().enable(d)) {
            GfnBitmap all = GfnBitmap.full(host.memory().gfnCount(d));
            s.evictAll(all);
            assertEquals(4096, host.domains().info(d).pagedPages());
            XenException again = assertThrows(XenException.class, () -> s.evictAll(all));
            assertTrue(again.is(Errno.EBUSY) && again.getMessage().contains("gfn 0x0 is PAGED"), again.getMessage());
            GfnBitmap beyond = new GfnBitmap(4097);
            beyond.set(4096);
            assertTrue(assertThrows(XenException.class, () -> s.evictAll(beyond)).is(Errno.EINVAL));
            ByteBuffer page = ByteBuffer.allocateDirect(4096);
            page.putLong(0, 0xC0FFEE);
            s.load(Gfn.of(7), page);
            ByteBuffer back = ByteBuffer.allocateDirect(4096);
            host.memory().read(d, Gfn.of(7), back);
            assertEquals(0xC0FFEE, back.getLong(0), "a page loaded into a receiver paged out in bulk");
        }
    }

    @Test
    void aVcpuHeldOnAPagedOutGfnShowsThatWaitAsItsFaultLatency() throws Exception {
        DomainId d = runningGuest("stress-write:1M@0", 16, 500);
        host.domains().pause(d);
        try (TestPager pager = new TestPager(host, d, TestPager.inMemory())) {
            pager.pageOutAll();
            host.domains().unpause(d);
            PagingSession session = pager.session();
            List<PagingRequest> reqs = new ArrayList<>();
            while (reqs.isEmpty()) {
                session.awaitRequests(reqs, 1, TimeUnit.SECONDS);
            }
            long heldUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
            // The fault under test is a page held back for 50 ms: the hold is the input, not a wait for a condition.
            while (System.nanoTime() < heldUntil) {
                java.util.concurrent.locks.LockSupport.parkNanos(heldUntil - System.nanoTime());
            }
            PagingRequest r = reqs.get(0);
            pager.pageIn(r.gfn().value(), ByteBuffer.allocateDirect(4096));
            session.respond(r);
            session.pushResponses();
            Await.until(() -> host.guestProbe().orElseThrow().faultWaitNanos(d).orElseThrow().length >= 1, WAIT,
                    () -> "the vCPU running again");
            long[] waits = host.guestProbe().orElseThrow().faultWaitNanos(d).orElseThrow();
            assertTrue(waits[0] >= TimeUnit.MILLISECONDS.toNanos(50), "waited " + waits[0] + " ns");
            // The faulting vCPU's pace is told the same wait, so it does not run faster to make it up (VcpuPace).
            int vcpu = r.vcpu();
            Await.until(() -> host.vcpuBlockedOnPagesNanos(d, vcpu) == host.vcpuBlockedNanos(d), WAIT,
                    () -> "vcpu" + vcpu + "'s pace told of its wait: " + host.vcpuBlockedOnPagesNanos(d, vcpu)
                            + " ns of " + host.vcpuBlockedNanos(d));
            assertTrue(host.vcpuBlockedOnPagesNanos(d, vcpu) >= TimeUnit.MILLISECONDS.toNanos(50));
            host.domains().destroy(d);
        }
    }

    @Test
    void theGuestsFirstAndLastInstantsBoundItsPause() {
        DomainId d = runningGuest("idle", 16, 5);
        GuestProbe probe = host.guestProbe().orElseThrow();
        GuestProbe.RunBounds running = probe.runBounds(d).orElseThrow();
        assertTrue(running.firstRanAt() > 0 && running.stoppedAt() == -1, running.toString());
        long before = System.nanoTime();
        host.domains().pause(d);
        long after = System.nanoTime();
        long stopped = probe.runBounds(d).orElseThrow().stoppedAt();
        assertTrue(stopped >= before && stopped <= after, "stopped at " + stopped + ", paused in " + before + ".." + after);
        assertEquals(running.firstRanAt(), probe.runBounds(d).orElseThrow().firstRanAt(), "the first instant stays");
    }

    @Test
    void aPagerWaitingOnADestroyedDomainIsToldSoInsteadOfSpinning() throws Exception {
        DomainId d = host.domains().create(DomainConfig.ofMiB("receiver", 16, "idle", 42), false);
        PagingSession s = host.paging().enable(d);
        assertEquals(false, s.awaitEvent(1, TimeUnit.MILLISECONDS), "a live port with nothing pending times out");
        host.domains().destroy(d);
        XenException gone = assertThrows(XenException.class, () -> s.awaitEvent(1, TimeUnit.SECONDS));
        assertTrue(gone.is(Errno.ESRCH), gone.getMessage());
        s.close();
    }

    /**
     * As Xen, which reads p2m types with {@code P2M_ALLOC} and so would page every paged-out gfn back in: the whole
     * map is refused while any gfn is paged out, and a read of some gfns refuses one that is; the rest answer.
     */
    @Test
    void p2mTypesAreNotReadThroughPagedOutGfns() {
        DomainId d = runningGuest("idle", 16, 10);
        host.domains().pause(d);
        PagingSession session = host.paging().enable(d);
        session.nominate(Gfn.of(5));
        session.evict(Gfn.of(5));
        long held = host.domains().heldPages(d);

        XenException whole = assertThrows(XenException.class, () -> host.domains().populated(d));
        assertTrue(whole.is(Errno.EBUSY), whole.getMessage());
        GfnBitmap some = new GfnBitmap(4096);
        some.set(4);
        some.set(5);
        XenException one = assertThrows(XenException.class, () -> host.domains().populatedAmong(d, some));
        assertTrue(one.getMessage().contains("gfn 0x5 "), one.getMessage());

        some.clear(5);
        GfnBitmap hole = new GfnBitmap(4096);
        hole.set(6);
        host.domains().decreaseReservation(d, hole);
        some.set(6);
        GfnBitmap populated = host.domains().populatedAmong(d, some);
        assertTrue(populated.get(4) && !populated.get(6), "gfn 4 present, gfn 6 a hole");
        assertEquals(held - 1, host.domains().heldPages(d), "a paged-out page is still held; a hole is not");
    }

    private long firstDataGfnWithVersionAtLeast(DomainId d, long version) {
        ByteBuffer page = ByteBuffer.allocateDirect(4096).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long count = host.memory().gfnCount(d);
        for (long gfn = org.xenpostcopy.xen.emulated.guest.GuestLayout.forPages(count).dataStart(); gfn < count; gfn++) {
            page.clear();
            host.memory().read(d, Gfn.of(gfn), page);
            if (page.getLong(0) == gfn && page.getLong(8) >= version) {
                return gfn;
            }
        }
        throw new AssertionError("no written data page");
    }
}
