package org.xenpostcopy.migration.destination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestMemory;
import org.xenpostcopy.xen.P2mType;
import org.xenpostcopy.xen.PagingChannel;
import org.xenpostcopy.xen.PagingRequest;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.XenStore;

/** The destination's pager logic on a mocked host: call order, once-only loads, refusals. */
class IncomingMigrationTest {
    private static final DomainId DOM = DomainId.of(7);
    private static final long PAGES = 64;

    private final XenHost host = mock(XenHost.class);
    private final DomainControl domains = mock(DomainControl.class);
    private final GuestMemory memory = mock(GuestMemory.class);
    private final PagingChannel pagingChannel = mock(PagingChannel.class);
    private final PagingSession paging = mock(PagingSession.class);
    private final XenStore store = mock(XenStore.class);
    private final List<Long> demanded = new ArrayList<>();
    private final DomainConfig config = new DomainConfig("vm", PAGES, 1, "idle", 1);

    @BeforeEach
    void wire() {
        when(host.domains()).thenReturn(domains);
        when(host.memory()).thenReturn(memory);
        when(host.paging()).thenReturn(pagingChannel);
        when(host.store()).thenReturn(store);
        when(host.guestProbe()).thenReturn(Optional.empty());
        when(domains.create(config, false)).thenReturn(DOM);
        when(memory.gfnCount(DOM)).thenReturn(PAGES);
        when(pagingChannel.enable(DOM)).thenReturn(paging);
        when(domains.populated(DOM)).thenReturn(GfnBitmap.full(PAGES));
    }

    private GfnBitmap holes(long... gfns) {
        GfnBitmap b = new GfnBitmap(PAGES);
        for (long g : gfns) {
            b.set(g);
        }
        return b;
    }

    private IncomingMigration prepared(GfnBitmap holes) {
        IncomingMigration m = IncomingMigration.prepare("s1", host, config, 200_000, holes);
        m.attachDemandQueue(demanded::add);
        return m;
    }

    private static PagingRequest fault(long gfn) {
        return new PagingRequest(Gfn.of(gfn), 0, true, false, P2mType.PAGED, 0);
    }

    @Test
    void prepareCreatesPausedEnablesPagingGivesBackHolesAndEvictsEveryOtherGfn() {
        GfnBitmap h = holes(3, 60);
        prepared(h);
        InOrder order = inOrder(domains, store, pagingChannel, paging);
        order.verify(domains).create(config, false);
        order.verify(store).write("/local/domain/7/memory/target", "200000");
        order.verify(pagingChannel).enable(DOM);
        order.verify(domains).decreaseReservation(DOM, h);
        for (long g = 0; g < PAGES; g++) {
            if (g == 3 || g == 60) {
                continue;
            }
            order.verify(paging).nominate(Gfn.of(g));
            order.verify(paging).evict(Gfn.of(g));
        }
        verify(paging, never()).nominate(Gfn.of(3));
        verify(domains, never()).unpause(any());
    }

    @Test
    void theToolstacksOwnPagesAreNeitherGivenBackNorPagedOut() {
        when(domains.toolstackPages(DOM)).thenReturn(List.of(Gfn.of(62), Gfn.of(63)));
        prepared(holes(3, 62, 63));     // the source counts its own toolstack pages as holes
        verify(domains).decreaseReservation(DOM, holes(3));
        verify(paging, never()).nominate(Gfn.of(62));
        verify(paging, never()).nominate(Gfn.of(63));
        verify(paging).evict(Gfn.of(61));
    }

    @Test
    void aDestinationPhysmapLargerThanTheSourcesIsRefused() {
        when(memory.gfnCount(DOM)).thenReturn(PAGES + 1);
        XenException e = assertThrows(XenException.class, () -> prepared(holes()));
        assertEquals(true, e.getMessage().contains("spans 65 gfns here"), e.getMessage());
        verify(paging, never()).evict(any());
        verify(domains).destroy(DOM);
    }

    @Test
    void aFailedPrepareGivesUpThePagerAndDestroysTheDomain() {
        doThrow(new XenException("xc_mem_paging_evict", Errno.EBUSY, "test")).when(paging).evict(Gfn.of(5));
        assertThrows(XenException.class, () -> prepared(holes()));
        verify(paging).close();
        verify(domains).destroy(DOM);
    }

    @Test
    void resumeSetsTheVcpuStateBeforeUnpausingAndRedoesOnlyNewHoles() {
        IncomingMigration m = prepared(holes(3));
        VcpuState vcpu = new VcpuState(0, new byte[] {1, 2, 3});
        m.resume(List.of(vcpu), holes(3, 9));
        InOrder order = inOrder(domains);
        order.verify(domains).decreaseReservation(DOM, holes(9));
        order.verify(domains).setVcpuState(DOM, vcpu);
        order.verify(domains).unpause(DOM);
        assertEquals(62, m.expectedCount());
        assertEquals(IncomingMigration.Phase.RUNNING, m.phase());
        assertThrows(IllegalStateException.class, () -> m.resume(List.of(vcpu), holes(3)), "resume only once");
    }

    @Test
    void aFaultIsFetchedOnceLoadedOnceAndEveryWaitingRequestAnswered() {
        IncomingMigration m = prepared(holes());
        m.resume(List.of(new VcpuState(0, new byte[1])), holes());
        PagingRequest first = fault(12);
        PagingRequest again = new PagingRequest(Gfn.of(12), 0, true, true, P2mType.PAGING_IN, 0);
        assertEquals(false, m.onRequest(first, System.nanoTime()));
        assertEquals(false, m.onRequest(again, System.nanoTime()));
        assertEquals(List.of(12L), demanded, "one network request for two faults on one page");
        assertEquals(1, m.networkFaults.get());

        ByteBuffer page = ByteBuffer.allocate(4096);
        m.deliver(12, page);
        InOrder order = inOrder(paging);
        order.verify(paging).load(eq(Gfn.of(12)), any());
        order.verify(paging).respond(first);
        order.verify(paging).respond(again);
        order.verify(paging).pushResponses();

        m.deliver(12, ByteBuffer.allocate(4096));       // the same page again (push and demand crossed)
        verify(paging, times(1)).load(eq(Gfn.of(12)), any());
        assertEquals(1, m.duplicates.get());

        assertEquals(true, m.onRequest(fault(12), System.nanoTime()), "page here: answered at once");
        assertEquals(1, m.prepagedHits.get());
        assertEquals(3, m.faultLatency.count());
    }

    @Test
    void pagesForHolesOrOutOfRangeAreRefusedAndNeverLoaded() {
        IncomingMigration m = prepared(holes(5));
        m.resume(List.of(new VcpuState(0, new byte[1])), holes(5));
        m.deliver(5, ByteBuffer.allocate(4096));
        m.deliver(PAGES, ByteBuffer.allocate(4096));
        m.deliver(-1, ByteBuffer.allocate(4096));
        verify(paging, never()).load(any(), any());
        assertEquals(3, m.rejected.get());
    }

    @Test
    void completionCountsEveryExpectedPage() throws Exception {
        IncomingMigration m = prepared(holes(0, 1));
        m.resume(List.of(new VcpuState(0, new byte[1])), holes(0, 1));
        for (long g = 2; g < PAGES; g++) {
            assertEquals(false, m.awaitAllLoaded(0));
            m.deliver(g, ByteBuffer.allocate(4096));
        }
        assertEquals(true, m.awaitAllLoaded(0));
        assertEquals(PAGES - 2, m.loaded.get());
    }

    @Test
    void abortIsOnlyPossibleBeforeResume() {
        IncomingMigration m = prepared(holes());
        m.abort();
        verify(domains).destroy(DOM);
        verify(paging).close();
        IncomingMigration n = prepared(holes());
        n.resume(List.of(new VcpuState(0, new byte[1])), holes());
        assertThrows(IllegalStateException.class, n::abort);
        verify(store, times(2)).write(anyString(), anyString());
    }
}
