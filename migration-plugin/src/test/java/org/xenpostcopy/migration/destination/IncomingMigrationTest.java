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
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.migration.peer.Resume;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestMemory;
import org.xenpostcopy.xen.PagingChannel;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.XenStore;

/** A destination session on a mocked host: prepare's call order, the switch, phases, refusals. */
class IncomingMigrationTest {
    private static final DomainId DOM = DomainId.of(7);
    private static final long PAGES = 64;

    private final XenHost host = mock(XenHost.class);
    private final DomainControl domains = mock(DomainControl.class);
    private final GuestMemory memory = mock(GuestMemory.class);
    private final PagingChannel pagingChannel = mock(PagingChannel.class);
    private final PagingSession paging = mock(PagingSession.class);
    private final XenStore store = mock(XenStore.class);
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
        DomainPreparer.PreparedDomain d = new DomainPreparer(host).prepare(config, 200_000, holes, MigrationMode.POSTCOPY);
        return new IncomingMigration("s1", "vm", host, MigrationMode.POSTCOPY, d, 5000);
    }

    private static Resume resume(GfnBitmap finalHoles) {
        return new Resume(List.of(new VcpuState(0, new byte[1])), finalHoles, 0, Optional.empty(), 0);
    }

    private static PageBatch onePage(long gfn) {
        return new PageBatch(new long[] {gfn}, 1, ByteBuffer.allocate(4096));
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
        GfnBitmap rest = GfnBitmap.full(PAGES);
        rest.andNot(h);
        order.verify(paging).evictAll(rest);     // every gfn but the holes, in one call
        verify(domains, never()).unpause(any());
    }

    @Test
    void theToolstacksOwnPagesAreNeitherGivenBackNorPagedOut() {
        when(domains.toolstackPages(DOM)).thenReturn(List.of(Gfn.of(62), Gfn.of(63)));
        prepared(holes(3, 62, 63));     // the source counts its own toolstack pages as holes
        verify(domains).decreaseReservation(DOM, holes(3));
        GfnBitmap rest = GfnBitmap.full(PAGES);
        rest.andNot(holes(3, 62, 63));
        verify(paging).evictAll(rest);
    }

    @Test
    void aDestinationPhysmapLargerThanTheSourcesIsRefused() {
        when(memory.gfnCount(DOM)).thenReturn(PAGES + 1);
        XenException e = assertThrows(XenException.class, () -> prepared(holes()));
        assertEquals(true, e.getMessage().contains("spans 65 gfns here"), e.getMessage());
        verify(paging, never()).evictAll(any());
        verify(domains).destroy(DOM);
    }

    @Test
    void aFailedPrepareGivesUpThePagerAndDestroysTheDomain() {
        doThrow(new XenException("xc_mem_paging_evict", Errno.EBUSY, "test")).when(paging).evictAll(any());
        assertThrows(XenException.class, () -> prepared(holes()));
        verify(paging).close();
        verify(domains).destroy(DOM);
    }

    @Test
    void resumeSetsTheVcpuStateBeforeUnpausingAndRedoesOnlyNewHoles() {
        IncomingMigration m = prepared(holes(3));
        VcpuState vcpu = new VcpuState(0, new byte[] {1, 2, 3});
        m.resume(new Resume(List.of(vcpu), holes(3, 9), 0, Optional.empty(), 0), 0);
        InOrder order = inOrder(domains, paging);
        // gfn 9 is paged out since prepare: Xen 4.17 gives it back only once it is paged in, so blank first.
        order.verify(paging).load(eq(Gfn.of(9)), any());
        order.verify(domains).decreaseReservation(DOM, holes(9));
        order.verify(domains).setVcpuState(DOM, vcpu);
        order.verify(domains).unpause(DOM);
        assertEquals(62, m.expectedCount());
        assertEquals(DestinationPhase.RUNNING, m.phase());
        assertThrows(IllegalStateException.class, () -> m.resume(resume(holes(3)), 0), "resume only once");
    }

    @Test
    void aNewHoleOnOneOfThisHostsToolstackPagesIsLeftAsPrepareLeftIt() {
        when(domains.toolstackPages(DOM)).thenReturn(List.of(Gfn.of(62)));
        IncomingMigration m = prepared(holes(3));
        m.resume(resume(holes(3, 9, 62)), 0);
        verify(domains).decreaseReservation(DOM, holes(9));
        verify(paging, never()).load(eq(Gfn.of(62)), any());
    }

    @Test
    void theSourcesTargetAtThePauseIsWrittenBeforeTheGuestRuns() {
        IncomingMigration m = prepared(holes());
        m.resume(new Resume(List.of(new VcpuState(0, new byte[1])), holes(), 0, Optional.empty(), 150_000), 0);
        InOrder order = inOrder(store, domains);
        order.verify(store).write("/local/domain/7/memory/target", "150000");
        order.verify(domains).unpause(DOM);
    }

    @Test
    void aResumeThatFailsLeavesTheSessionPreparedSoTheSourceCanAbortIt() {
        IncomingMigration m = prepared(holes());
        doThrow(new XenException("xc_domain_hvm_setcontext", Errno.EINVAL, "test")).when(domains)
                .setVcpuState(any(), any());
        assertThrows(XenException.class, () -> m.resume(resume(holes()), 0));
        verify(domains, never()).unpause(any());
        assertEquals(DestinationPhase.PREPARED, m.phase());
        m.abort();
        verify(domains).destroy(DOM);
    }

    @Test
    void aPageThatCameBackSincePrepareIsPopulatedAndPagedOutAgain() {
        IncomingMigration m = prepared(holes(3, 9));
        m.resume(resume(holes(3)), 0);
        InOrder order = inOrder(domains, paging);
        order.verify(domains).populate(DOM, holes(9));
        order.verify(paging).evictAll(holes(9));
        assertEquals(63, m.expectedCount());
    }

    @Test
    void pushedPagesBeforeTheSwitchOfAPostCopyAreRefusedWhole() {
        IncomingMigration m = prepared(holes());
        assertEquals(false, m.receive(onePage(4)));
        verify(paging, never()).load(any(), any());
        verify(memory, never()).write(any(), any(), any());
    }

    @Test
    void completionCountsEveryExpectedPage() throws Exception {
        IncomingMigration m = prepared(holes(0, 1));
        m.resume(resume(holes(0, 1)), 0);
        for (long g = 2; g < PAGES; g++) {
            assertEquals(false, m.awaitAllLoaded(0));
            assertEquals(true, m.receive(onePage(g)));
        }
        assertEquals(true, m.awaitAllLoaded(0));
        assertEquals(PAGES - 2, m.loadedCount());
        m.finish(DestinationPhase.COMPLETED);
        assertEquals(false, m.receive(onePage(2)), "nothing is taken after completion");
    }

    @Test
    void abortIsOnlyPossibleBeforeResume() {
        IncomingMigration m = prepared(holes());
        m.abort();
        verify(domains).destroy(DOM);
        verify(paging).close();
        assertEquals(DestinationPhase.ABORTED, m.phase());
        IncomingMigration n = prepared(holes());
        n.resume(resume(holes()), 0);
        assertThrows(IllegalStateException.class, n::abort);
        verify(store, times(2)).write(anyString(), anyString());
    }
}
