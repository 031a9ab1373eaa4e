package org.xenpostcopy.migration.destination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.P2mType;
import org.xenpostcopy.xen.PagingRequest;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.XenException;

/** The arrival/fault ledger: each page loaded once, each fault fetched once and answered once. */
class ArrivalLedgerTest {
    private static final long PAGES = 64;
    private final PagingSession paging = mock(PagingSession.class);
    private final List<Long> fetched = new ArrayList<>();
    private final List<PagingRequest> answered = new ArrayList<>();
    private final ArrivalLedger ledger = new ArrivalLedger("s", paging, PAGES);

    ArrivalLedgerTest() {
        ledger.connect(fetched::add, answered::addAll);
    }

    private static PagingRequest fault(long gfn) {
        return new PagingRequest(Gfn.of(gfn), 0, true, false, P2mType.PAGED, 0);
    }

    private void expectAllBut(long... holes) {
        GfnBitmap b = GfnBitmap.full(PAGES);
        for (long h : holes) {
            b.clear(h);
        }
        ledger.expect(b, () -> { });
    }

    @Test
    void aFaultIsFetchedOnceLoadedOnceAndEveryWaitingRequestAnswered() {
        expectAllBut();
        PagingRequest first = fault(12);
        PagingRequest again = new PagingRequest(Gfn.of(12), 1, true, true, P2mType.PAGING_IN, 0);
        assertEquals(false, ledger.onFault(first, System.nanoTime()));
        assertEquals(false, ledger.onFault(again, System.nanoTime()));
        assertEquals(List.of(12L), fetched, "one network request for two faults on one page");
        assertEquals(1, ledger.networkFaults());

        ledger.deliver(12, ByteBuffer.allocate(4096));
        verify(paging).load(eq(Gfn.of(12)), any());
        assertEquals(List.of(first, again), answered);

        ledger.deliver(12, ByteBuffer.allocate(4096));       // the same page again (push and demand crossed)
        verify(paging, times(1)).load(eq(Gfn.of(12)), any());
        assertEquals(1, ledger.duplicates());
        assertEquals(2, answered.size(), "a duplicate answers nobody twice");

        assertEquals(true, ledger.onFault(fault(12), System.nanoTime()), "page here: answered at once");
        assertEquals(1, ledger.networkFaults());
    }

    @Test
    void eachWaitIsCountedByWhatBroughtItsPageAndAPageAlreadyHereApart() {
        expectAllBut();
        long t0 = System.nanoTime();
        ledger.onFault(fault(5), t0 - TimeUnit.MILLISECONDS.toNanos(50));     // held 50 ms, then its fetch's reply
        ledger.onFault(fault(6), t0);
        ledger.onFault(new PagingRequest(Gfn.of(6), 1, true, true, P2mType.PAGING_IN, 0), t0);   // a second vCPU
        ledger.deliverFetched(5, ByteBuffer.allocate(4096));
        ledger.deliver(6, ByteBuffer.allocate(4096));                          // the push brought it first
        ledger.deliver(7, ByteBuffer.allocate(4096));
        assertEquals(true, ledger.onFault(fault(7), System.nanoTime()), "here already: answered at once");

        assertEquals(1, ledger.waitsForFetched().count());
        assertTrue(ledger.waitsForFetched().percentiles().p50() >= 50_000, "the 50 ms wait, in microseconds");
        assertEquals(2, ledger.waitsForPushed().count(), "both requests on page 6");
        assertEquals(1, ledger.waitsForNothing().count(), "page 7's request, in a bucket of its own");
        assertEquals(3, answered.size(), "the three waits answered (page 7's fault is answered by its caller)");
    }

    /** The three buckets of the pager's waits are every wait it records, each once; what is no wait is in none. */
    @Test
    void theBucketsTogetherHoldEveryRecordedWaitOnceAndNothingElse() {
        List<Long> recorded = new ArrayList<>();
        ArrivalLedger counted = new ArrivalLedger("s", paging, PAGES, recorded::add);
        counted.connect(fetched::add, answered::addAll);
        GfnBitmap expected = GfnBitmap.full(PAGES);
        expected.clear(40);
        counted.expect(expected, () -> { });
        long now = System.nanoTime();
        counted.onFault(fault(5), now);                                              // fetched
        counted.onFault(new PagingRequest(Gfn.of(5), 1, true, true, P2mType.PAGING_IN, 0), now);
        counted.onFault(fault(6), now);                                              // pushed
        counted.deliverFetched(5, ByteBuffer.allocate(4096));
        counted.deliver(6, ByteBuffer.allocate(4096));
        counted.deliver(6, ByteBuffer.allocate(4096));                               // a duplicate answers nobody
        counted.deliver(7, ByteBuffer.allocate(4096));
        counted.onFault(fault(7), now);                                              // already here
        // Not waits: a gfn out of range, the guest giving a page back, a hole.
        counted.onFault(fault(PAGES + 3), now);
        counted.onFault(new PagingRequest(Gfn.of(9), 0, false, false, P2mType.PAGED,
                PagingRequest.MEM_PAGING_DROP_PAGE), now);
        counted.onFault(fault(40), now);

        long inBuckets = counted.waitsForFetched().count() + counted.waitsForPushed().count()
                + counted.waitsForNothing().count();
        assertEquals(4, recorded.size(), "two on page 5, one on 6, one on 7");
        assertEquals(recorded.size(), inBuckets);
        assertEquals(2, counted.waitsForFetched().count());
        assertEquals(1, counted.waitsForPushed().count());
        assertEquals(1, counted.waitsForNothing().count());
    }

    @Test
    void firstTouchesOfPushedPagesAreMinorFaultsAndFetchedOnesAreNot() {
        expectAllBut(40);
        assertEquals(false, ledger.onFault(fault(3), System.nanoTime()));     // network fault: fetched
        ledger.deliver(3, ByteBuffer.allocate(4096));
        ledger.deliver(4, ByteBuffer.allocate(4096));                         // pushed, then touched
        ledger.deliver(5, ByteBuffer.allocate(4096));                         // pushed, never touched
        ledger.deliver(6, ByteBuffer.allocate(4096));                         // pushed while its fault was on the ring
        assertEquals(true, ledger.onFault(fault(6), System.nanoTime()));
        GfnBitmap touched = new GfnBitmap(PAGES);
        for (long g : new long[] {3, 4, 6, 40}) {                             // 40: a hole, no post-copy page
            touched.set(g);
        }
        assertEquals(1, ledger.networkFaults());
        assertEquals(new ArrivalLedger.TouchCensus(4, 2), ledger.touchCensus(touched), "minor: gfns 4 and 6");
    }

    @Test
    void aFaultedPageWhoseVcpuHasNotRunAgainIsStillTouchedSoThePartsAddUp() {
        expectAllBut(40);
        assertEquals(false, ledger.onFault(fault(3), System.nanoTime()));
        ledger.deliver(3, ByteBuffer.allocate(4096));     // loaded; the vCPU has not yet retried and set its bit
        ledger.deliver(4, ByteBuffer.allocate(4096));
        GfnBitmap accessed = new GfnBitmap(PAGES);
        accessed.set(4);
        ArrivalLedger.TouchCensus census = ledger.touchCensus(accessed);
        assertEquals(2, census.touched(), "gfn 3 (faulted) and gfn 4");
        assertEquals(census.touched(), ledger.networkFaults() + census.minor());
    }

    @Test
    void pagesForHolesOrOutOfRangeAreRefusedAndNeverLoaded() {
        expectAllBut(5);
        ledger.deliver(5, ByteBuffer.allocate(4096));
        ledger.deliver(PAGES, ByteBuffer.allocate(4096));
        ledger.deliver(-1, ByteBuffer.allocate(4096));
        verify(paging, never()).load(any(), any());
        assertEquals(3, ledger.rejected());
    }

    @Test
    void aPageTheGuestGaveBackBeforeItArrivedIsDroppedCountedAndSettles() throws Exception {
        GfnBitmap two = new GfnBitmap(PAGES);
        two.set(7);
        two.set(8);
        ledger.expect(two, () -> { });
        PagingRequest waiting = fault(7);
        assertEquals(false, ledger.onFault(waiting, System.nanoTime()));
        doThrow(new XenException("xc_mem_paging_load", Errno.ENOENT, "gfn 0x7 is INVALID, not paged out"))
                .when(paging).load(eq(Gfn.of(7)), any());
        ledger.deliver(7, ByteBuffer.allocate(4096));
        assertEquals(List.of(waiting), answered, "whoever waited is answered: Xen lets it retry on the new gfn");
        assertEquals(1, ledger.released());
        assertEquals(0, ledger.loaded());
        ledger.deliver(7, ByteBuffer.allocate(4096));
        assertEquals(1, ledger.duplicates(), "a second copy is a duplicate, not a second release");
        ledger.deliver(8, ByteBuffer.allocate(4096));
        assertEquals(true, ledger.await(0), "released and loaded pages together settle the session");
        assertEquals(null, ledger.failure());
    }

    @Test
    void aPageThatCannotBeLoadedFailsTheSessionAtOnce() throws Exception {
        expectAllBut();
        // EINVAL is Xen's answer for a dying domain (or a bad buffer): never taken for "the guest gave it back",
        // or a guest dying at the end of post-copy would look like a finished migration.
        doThrow(new XenException("xc_mem_paging_load", Errno.EINVAL, "dying")).when(paging).load(eq(Gfn.of(9)), any());
        assertThrows(XenException.class, () -> ledger.deliver(9, ByteBuffer.allocate(4096)));
        assertTrue(ledger.settledOrGivenUp(), "whoever waits for completion is woken at once");
        assertEquals(false, ledger.await(0), "without every page");
        assertTrue(ledger.failure().contains("gfn 0x9 could not be loaded"), ledger.failure());
        ledger.deliver(10, ByteBuffer.allocate(4096));
        verify(paging).load(eq(Gfn.of(10)), any());
    }

    @Test
    void aDropRequestAndAFaultOnAHoleAreAnsweredAtOnceAndFetchNothing() {
        expectAllBut(5);
        PagingRequest drop = new PagingRequest(Gfn.of(12), 0, false, false, P2mType.PAGED,
                PagingRequest.MEM_PAGING_DROP_PAGE);
        assertEquals(true, ledger.onFault(drop, System.nanoTime()), "a drop holds a ring slot: answered now");
        assertEquals(true, ledger.onFault(fault(5), System.nanoTime()), "no page will come for a hole");
        assertEquals(List.of(), fetched);
        assertEquals(0, ledger.networkFaults());
    }

    @Test
    void beforeTheSwitchNothingIsLoaded() {
        ledger.deliver(3, ByteBuffer.allocate(4096));
        verify(paging, never()).load(any(), any());
        assertEquals(1, ledger.rejected());
    }

    @Test
    void theLastPageRunsTheCompletionHookOnceAndWakesTheWaiter() throws Exception {
        GfnBitmap two = new GfnBitmap(PAGES);
        two.set(1);
        two.set(2);
        int[] hooks = {0};
        ledger.expect(two, () -> hooks[0]++);
        ledger.deliver(1, ByteBuffer.allocate(4096));
        assertEquals(false, ledger.await(0));
        ledger.deliver(2, ByteBuffer.allocate(4096));
        assertEquals(true, ledger.await(0));
        assertEquals(1, hooks[0]);
    }

    /** Pushes and faults race on every page from two threads: no fault is left waiting, no page loads twice. */
    @Test
    void racingPushesAndFaultsLeaveNoFaultUnansweredAndLoadEachPageOnce() throws Exception {
        ArrivalLedger racing = new ArrivalLedger("race", paging, PAGES);
        racing.connect(g -> { }, rs -> {
            synchronized (answered) {
                answered.addAll(rs);
            }
        });
        racing.expect(GfnBitmap.full(PAGES), () -> { });
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        int[] answeredAtOnce = {0};
        pool.submit(() -> {
            go.await();
            for (long g = 0; g < PAGES; g++) {
                racing.deliver(g, ByteBuffer.allocate(4096));
            }
            return null;
        });
        pool.submit(() -> {
            go.await();
            for (long g = PAGES - 1; g >= 0; g--) {
                if (racing.onFault(fault(g), System.nanoTime())) {
                    answeredAtOnce[0]++;
                }
            }
            return null;
        });
        go.countDown();
        pool.shutdown();
        assertEquals(true, pool.awaitTermination(30, TimeUnit.SECONDS));
        verify(paging, times((int) PAGES)).load(any(), any());
        synchronized (answered) {
            assertEquals(PAGES, answered.size() + answeredAtOnce[0], "every fault answered exactly once");
        }
        assertEquals(true, racing.await(0));
    }
}
