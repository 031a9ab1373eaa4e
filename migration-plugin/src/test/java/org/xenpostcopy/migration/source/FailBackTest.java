package org.xenpostcopy.migration.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.link.LinkShaper;
import org.xenpostcopy.migration.peer.WireBytes;
import org.xenpostcopy.migration.peer.Checkpoint;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.migration.prepaging.PrePagingPolicy;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestMemory;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;

/**
 * The restore after a dead destination, against a mocked host: the lease is revoked first, the checkpoint's holes,
 * pages and vCPU state go over the paused copy, and only then does the guest resume — and a failed restore resumes
 * nothing.
 */
class FailBackTest {
    private static final DomainId DOM = DomainId.of(4);
    private static final long SPAN = 16;
    private final XenHost host = mock(XenHost.class);
    private final DomainControl domains = mock(DomainControl.class);
    private final GuestMemory memory = mock(GuestMemory.class);
    private final SourceSession session = new SourceSession("s", host, DOM, SPAN,
            new SentPages(SPAN, new GfnBitmap(SPAN)), mock(PrePagingPolicy.class), LinkShaper.unshaped(),
            new CheckpointStore(SPAN), WireBytes.uncounted());
    // the shortest lease there is, so the wait it imposes stays short
    private final Checkpointing checkpointing = new Checkpointing(10, 100);

    FailBackTest() {
        when(host.domains()).thenReturn(domains);
        when(host.memory()).thenReturn(memory);
        when(host.guestProbe()).thenReturn(Optional.empty());
        GfnBitmap populated = GfnBitmap.full(SPAN);
        populated.clear(9);                                      // a hole here the guest refilled there
        when(domains.populated(DOM)).thenReturn(populated);
    }

    private void checkpoint() {
        session.checkpoints.pages(1, new PageBatch(new long[] {2, 9}, 2, ByteBuffer.allocate(2 * Gfn.PAGE_SIZE)));
        GfnBitmap holes = new GfnBitmap(SPAN);
        holes.set(5);                                            // a page the guest gave back there
        session.checkpoints.commit(new Checkpoint(1, List.of(new VcpuState(0, new byte[] {7})), holes, 2, 42));
    }

    @Test
    void theCheckpointGoesOverThePausedCopyBeforeTheGuestResumes() {
        checkpoint();
        FailBack.Result r = new FailBack(host, DOM, session, checkpointing, true).run();

        InOrder order = inOrder(domains, memory);
        GfnBitmap released = new GfnBitmap(SPAN);
        released.set(5);
        GfnBitmap refilled = new GfnBitmap(SPAN);
        refilled.set(9);
        order.verify(domains).decreaseReservation(DOM, released);
        order.verify(domains).populate(DOM, refilled);
        order.verify(memory).write(eq(DOM), eq(Gfn.of(2)), any());
        order.verify(memory).write(eq(DOM), eq(Gfn.of(9)), any());
        order.verify(domains).setVcpuState(DOM, new VcpuState(0, new byte[] {7}));
        order.verify(domains).resumeRestored(DOM);
        assertEquals(1, r.checkpointSeq());
        assertEquals(2, r.pagesRestored());
        assertEquals(42, r.guestOps());
        assertTrue(r.sinceLastGrantMs() >= 100 * (1 + FailBack.CLOCK_RATE_SLACK) + FailBack.MARGIN_MS,
                "resumed before every lease granted had run out: " + r.sinceLastGrantMs() + " ms");
        assertFalse(session.grants.grant(), "no lease is granted once the guest is back");
        assertTrue(session.grants.takenBack().contains("checkpoint 1"));
    }

    @Test
    void withoutACheckpointTheGuestResumesAsItWasAtTheSwitch() {
        FailBack.Result r = new FailBack(host, DOM, session, checkpointing, false).run();
        verify(memory, never()).write(any(), any(), any());
        verify(domains, never()).setVcpuState(any(), any());
        verify(domains).resumeAfterFailedMigration(DOM);
        assertEquals(0, r.checkpointSeq());
        assertTrue(r.summary().contains("as it was at the switch"), r.summary());
    }

    @Test
    void aRestoreThatFailsResumesNothingAndSaysWhereTheGuestIs() {
        checkpoint();
        doThrow(new XenException("xenforeignmemory_map", Errno.EFAULT, "test")).when(memory)
                .write(eq(DOM), eq(Gfn.of(9)), any());
        MigrationException e = assertThrows(MigrationException.class,
                () -> new FailBack(host, DOM, session, checkpointing, false).run());
        verify(domains, never()).resumeAfterFailedMigration(DOM);
        assertTrue(e.getMessage().contains("stays paused here"), e.getMessage());
        assertEquals(null, session.grants.takenBack(), "the destination must not be told to drop its copy");
    }
}
