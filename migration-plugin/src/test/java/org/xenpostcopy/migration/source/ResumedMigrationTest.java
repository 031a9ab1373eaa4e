package org.xenpostcopy.migration.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.ArgumentCaptor;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.Complete;
import org.xenpostcopy.migration.peer.Completion;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.peer.LinkState;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.peer.Reattachment;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestMemory;
import org.xenpostcopy.xen.XenHost;

/** A restarted daemon finishing what its predecessor left in the journal, on a mocked host and destination. */
class ResumedMigrationTest {
    private static final DomainId DOM = DomainId.of(3);
    private static final long PAGES = 64;
    private final XenHost host = mock(XenHost.class);
    private final DomainControl domains = mock(DomainControl.class);
    private final GuestMemory memory = mock(GuestMemory.class);
    private final DestinationPeer peer = mock(DestinationPeer.class);
    private final PeerConnector peers = mock(PeerConnector.class);
    private final InetSocketAddress self = InetSocketAddress.createUnresolved("self", 7410);
    @TempDir
    Path dir;
    private SessionJournal journal;

    @BeforeEach
    void wire() {
        journal = SessionJournal.in(dir);
        when(host.domains()).thenReturn(domains);
        when(host.memory()).thenReturn(memory);
        doAnswer(inv -> {
            ByteBuffer dst = inv.getArgument(2);
            dst.position(dst.position() + Gfn.PAGE_SIZE);
            return null;
        }).when(memory).read(eq(DOM), any(), any());
        when(peers.destination(any(), anyString(), anyLong(), anyInt(), any())).thenReturn(peer);
        // Nothing expected: the heartbeats' progress watch has nothing to hold against a mock that loads nothing.
        when(peer.heartbeat()).thenReturn(new LinkState("RUNNING", 0, 0));
        when(domains.info(DOM)).thenReturn(new DomainInfo(DOM, "vm", PAGES, PAGES, 0, 1, DomainInfo.State.PAUSED));
    }

    private SessionJournal.Entry entry(boolean handedOver) {
        return new SessionJournal.Entry("s-1", DOM.value(), "dest", 7410, PAGES, "bubble", 64, 0, 0, 5000, 60_000,
                60_000, true, 0, handedOver);
    }

    @Test
    void aGuestTheDestinationNeverHadIsResumedHereOnceTheDestinationGivesTheSessionUp() {
        journal.write(entry(false));

        boolean handedOver = new ResumedMigration(host, new PageServer(), peers, journal, entry(false), self).run();

        assertFalse(handedOver);
        verify(peer).abort(anyString());
        verify(domains).resumeAfterFailedMigration(DOM);
        verify(domains, never()).destroy(any());
        assertEquals(List.of(), journal.entries());
    }

    @Test
    void aHandedOverGuestGetsExactlyThePagesTheDestinationMissesAndTheCopyHereGoes() {
        journal.write(entry(true));
        GfnBitmap missing = new GfnBitmap(PAGES);
        missing.set(1);
        missing.set(50);
        when(peer.reconnect(eq(PAGES), eq(self))).thenReturn(new Reattachment(missing, PAGES - 2, PAGES + 10));
        List<Long> pushed = PushedGfns.recordedBy(peer);
        when(peer.complete(any())).thenReturn(new Completion(PAGES + 12, 0, 0, 0, new Completion.Latency(0, 0, 0), 1,
                -1, -1, -1, true, 0, "", 9));

        boolean handedOver = new ResumedMigration(host, new PageServer(), peers, journal, entry(true), self).run();

        assertTrue(handedOver);
        verify(peer, never()).abort(anyString());
        assertEquals(List.of(1L, 50L), pushed);
        ArgumentCaptor<Complete> complete = ArgumentCaptor.forClass(Complete.class);
        verify(peer).complete(complete.capture());
        assertEquals(PAGES + 12, complete.getValue().pagesSent(), "received before the restart + sent after it");
        assertEquals(0, complete.getValue().pagesResent());
        verify(domains).destroy(DOM);
        verify(domains, never()).resumeAfterFailedMigration(any());
        assertEquals(List.of(), journal.entries());
    }

    @Test
    void anUnconfirmedHandoverTheDestinationRefusesToAbortIsRecoveredThere() {
        doThrow(new PeerException(RemoteError.WRONG_STATE, "the guest already runs here")).when(peer).abort(anyString());
        when(peer.reconnect(eq(PAGES), eq(self))).thenReturn(new Reattachment(new GfnBitmap(PAGES), PAGES, PAGES));
        when(peer.complete(any())).thenReturn(new Completion(PAGES, 0, 0, 0, new Completion.Latency(0, 0, 0), 1,
                -1, -1, -1, true, 0, "", 9));

        boolean handedOver = new ResumedMigration(host, new PageServer(), peers, journal, entry(false), self).run();

        assertTrue(handedOver);
        verify(peer).reconnect(eq(PAGES), eq(self));
        verify(domains).destroy(DOM);
        verify(domains, never()).resumeAfterFailedMigration(any());
    }

    @Test
    void aJournaledDomidThatNoLongerNamesAPausedCopyIsLeftAlone() {
        when(domains.info(DOM)).thenReturn(new DomainInfo(DOM, "other", PAGES, PAGES, 0, 1, DomainInfo.State.RUNNING));

        new ResumedMigration(host, new PageServer(), peers, journal, entry(true), self).run();

        verify(peer, never()).reconnect(anyLong(), any());
        verify(domains, never()).destroy(any());
        assertEquals(List.of(), journal.entries());
    }

    @Test
    void aDestinationThatLostTheSessionLeavesTheCopyHerePausedAndSaysSo() {
        when(peer.reconnect(anyLong(), any())).thenThrow(new PeerException(RemoteError.UNKNOWN_SESSION, "no such"));

        boolean handedOver = new ResumedMigration(host, new PageServer(), peers, journal, entry(true), self).run();

        assertTrue(handedOver);
        verify(domains, never()).destroy(any());
        verify(domains, never()).resumeAfterFailedMigration(any());
    }
}
