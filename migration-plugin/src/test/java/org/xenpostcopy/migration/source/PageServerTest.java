package org.xenpostcopy.migration.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.link.LinkShaper;
import org.xenpostcopy.migration.peer.WireBytes;
import org.xenpostcopy.migration.peer.Fetched;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.prepaging.PrePagingPolicy;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestMemory;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;

/** The demand side of "every page once": a page that could not be read is not counted as sent. */
class PageServerTest {
    private static final DomainId DOM = DomainId.of(3);
    private final XenHost host = mock(XenHost.class);
    private final GuestMemory memory = mock(GuestMemory.class);
    private final SentPages sent = new SentPages(16, new GfnBitmap(16));
    private final PageServer server = new PageServer();

    PageServerTest() {
        when(host.memory()).thenReturn(memory);
        doAnswer(inv -> {
            ByteBuffer dst = inv.getArgument(2);
            dst.position(dst.position() + Gfn.PAGE_SIZE);
            return null;
        }).when(memory).read(eq(DOM), any(), any());
        server.register(new SourceSession("s", host, DOM, 16, sent, mock(PrePagingPolicy.class),
                LinkShaper.unshaped()));
    }

    @Test
    void aPageThatCannotBeReadIsGivenBackAndWhatWasReadStillGoes() {
        doThrow(new XenException("xenforeignmemory_map", Errno.EFAULT, "test")).when(memory)
                .read(eq(DOM), eq(Gfn.of(5)), any());
        Fetched f = server.fetch("s", new long[] {4, 5, 6}, 3);
        assertEquals(1, f.pages().count());
        assertEquals(4, f.pages().gfns()[0]);
        assertEquals(Gfn.PAGE_SIZE, f.pages().pages().remaining());
        assertTrue(sent.isSent(4));
        assertFalse(sent.isSent(5), "not sent, so the push or a later fault still sends it");
        assertFalse(sent.isSent(6));
        assertEquals(1, sent.claimed());
    }

    @Test
    void aRequestWhoseFirstPageCannotBeReadFailsAndClaimsNothing() {
        doThrow(new XenException("xenforeignmemory_map", Errno.EFAULT, "test")).when(memory)
                .read(eq(DOM), eq(Gfn.of(2)), any());
        PeerException e = assertThrows(PeerException.class, () -> server.fetch("s", new long[] {2}, 1));
        assertEquals(RemoteError.HOST_ERROR, e.error());
        assertEquals(0, sent.claimed());
    }

    @Test
    void gfnsOutsideTheDomainAreRefusedBeforeAnyIsClaimed() {
        PeerException e = assertThrows(PeerException.class, () -> server.fetch("s", new long[] {3, 16}, 2));
        assertEquals(RemoteError.BAD_REQUEST, e.error());
        assertFalse(sent.isSent(3));
    }

    @Test
    void answersGrantTheLeaseUntilRevokedAndATakenBackSessionIsRefusedEvenAfterItEnds() {
        SourceSession s = new SourceSession("c", host, DOM, 16, new SentPages(16, new GfnBitmap(16)),
                mock(PrePagingPolicy.class), LinkShaper.unshaped(), new CheckpointStore(16), WireBytes.uncounted());
        server.register(s);
        assertTrue(server.fetch("c", new long[0], 0).granted(), "a ping grants");
        assertTrue(server.fetch("c", new long[] {1}, 1).granted(), "a fetch grants");
        assertFalse(server.fetch("nobody", new long[0], 0).granted(), "a ping for no session here grants nothing");

        s.grants.revoke();
        assertFalse(server.fetch("c", new long[0], 0).granted());
        Fetched f = server.fetch("c", new long[] {2}, 1);
        assertFalse(f.granted(), "pages still go while the lease runs out, but grant nothing");
        assertEquals(1, f.pages().count());

        s.grants.takenBack("restored from checkpoint 3");
        assertEquals(RemoteError.TAKEN_BACK,
                assertThrows(PeerException.class, () -> server.fetch("c", new long[0], 0)).error());
        server.unregister(s);
        PeerException late = assertThrows(PeerException.class, () -> server.fetch("c", new long[0], 0));
        assertEquals(RemoteError.TAKEN_BACK, late.error(), "a destination that comes back late must still hear it");
        assertTrue(late.getMessage().contains("checkpoint 3"), late.getMessage());
        assertEquals(RemoteError.TAKEN_BACK,
                assertThrows(PeerException.class, () -> server.fetch("c", new long[] {3}, 1)).error());
    }

    /**
     * A restarted destination daemon holding the guest paused asks what became of the session: its question must not
     * renew the lease, or the source would wait for a guest nobody runs instead of taking it back (lab run 21).
     */
    @Test
    void askingWhatBecameOfASessionGrantsNoLeaseAndHearsTakenBackOrReleased() {
        SourceSession s = new SourceSession("c", host, DOM, 16, new SentPages(16, new GfnBitmap(16)),
                mock(PrePagingPolicy.class), LinkShaper.unshaped(), new CheckpointStore(16), WireBytes.uncounted());
        server.register(s);
        long granted = s.grants.lastGrant();
        assertFalse(server.hasReleased("c"));
        assertEquals(granted, s.grants.lastGrant(), "the question renewed the lease");
        assertFalse(server.hasReleased("nobody"));

        s.grants.takenBack("restored from checkpoint 2");
        assertEquals(RemoteError.TAKEN_BACK,
                assertThrows(PeerException.class, () -> server.hasReleased("c")).error());
        server.unregister(s);
        assertEquals(RemoteError.TAKEN_BACK,
                assertThrows(PeerException.class, () -> server.hasReleased("c")).error(), "heard after it ends too");

        SourceSession done = new SourceSession("d", host, DOM, 16, new SentPages(16, new GfnBitmap(16)),
                mock(PrePagingPolicy.class), LinkShaper.unshaped(), new CheckpointStore(16), WireBytes.uncounted());
        server.register(done);
        done.grants.released();
        assertTrue(server.hasReleased("d"));
    }

    @Test
    void checkpointsOfASessionStartedWithoutThemAreRefused() {
        PeerException e = assertThrows(PeerException.class, () -> server.checkpointPages("s", 1,
                new org.xenpostcopy.migration.peer.PageBatch(new long[0], 0, ByteBuffer.allocate(0))));
        assertEquals(RemoteError.WRONG_STATE, e.error());
    }
}
