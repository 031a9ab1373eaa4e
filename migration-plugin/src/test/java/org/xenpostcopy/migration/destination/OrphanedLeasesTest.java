package org.xenpostcopy.migration.destination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.InOrder;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.peer.SourcePeer;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.XenHost;

/**
 * A destination daemon that died while a guest ran here on its source's lease (issue 14): the next daemon finds the
 * guest in its lease journal, re-attached running (its last page had landed) or paused, and holds it paused from
 * its very start until the source says it released the guest (it runs again) or took it back (it is destroyed);
 * while the source says neither, or cannot be reached, it stays paused.
 */
class OrphanedLeasesTest {
    private static final DomainId DOM = DomainId.of(7);
    private final XenHost host = mock(XenHost.class);
    private final DomainControl domains = mock(DomainControl.class);
    private final PeerConnector peers = mock(PeerConnector.class);
    private final SourcePeer source = mock(SourcePeer.class);

    @TempDir
    Path dir;

    OrphanedLeasesTest() {
        when(host.domains()).thenReturn(domains);
        when(host.guestProbe()).thenReturn(Optional.empty());
        when(peers.source(any(), anyString(), anyLong(), anyInt(), any())).thenReturn(source);
    }

    private LeaseJournal journalWithOneGuest(DomainInfo.State state) {
        return journalWithOneGuest(state, 0);
    }

    private LeaseJournal journalWithOneGuest(DomainInfo.State state, long pagedOut) {
        when(domains.info(DOM)).thenReturn(new DomainInfo(DOM, "vm", 16, 16, pagedOut, 1, state));
        LeaseJournal journal = LeaseJournal.in(dir);
        journal.write(new LeaseJournal.Entry("s1", "vm", DOM.value(), "127.0.0.1", 7410, 16));
        return journal;
    }

    @Test
    void aGuestReattachedRunningIsHeldUntilItsSourceSaysItReleasedIt() {
        LeaseJournal journal = journalWithOneGuest(DomainInfo.State.RUNNING);
        // The source has not released it (it has not heard the completion), then does not know the session, then
        // cannot be reached: none of that lets the guest run.
        when(source.hasReleased()).thenReturn(false)
                .thenThrow(new PeerException(RemoteError.UNKNOWN_SESSION, "no such session"))
                .thenThrow(new PeerException(RemoteError.CONNECTION, "unreachable"))
                .thenReturn(true);
        OrphanedLeases orphans = new OrphanedLeases(host, peers, journal);

        assertEquals(1, orphans.holdAll());
        verify(domains).pauseWithoutWaiting(DOM);
        assertEquals(1, orphans.askSources());
        assertEquals(1, orphans.askSources());
        assertEquals(1, orphans.askSources());
        verify(domains, never()).unpause(any());

        assertEquals(0, orphans.askSources());
        // Asked what became of the session, never pinged: a ping would renew the lease of a guest held paused here,
        // and the source would wait for it instead of taking it back.
        verify(source, never()).fetch(any(), anyInt());
        InOrder order = inOrder(domains);
        order.verify(domains).pauseWithoutWaiting(DOM);
        order.verify(domains).unpause(DOM);
        verify(domains, never()).destroy(any());
        assertEquals(List.of(), journal.entries());
    }

    @Test
    void aGuestItsSourceTookBackIsDestroyedAndAPausedOneIsNotPausedTwice() {
        LeaseJournal journal = journalWithOneGuest(DomainInfo.State.PAUSED);
        when(source.hasReleased()).thenThrow(new PeerException(RemoteError.TAKEN_BACK, "restored"));
        OrphanedLeases orphans = new OrphanedLeases(host, peers, journal);
        assertEquals(1, orphans.holdAll());
        verify(domains, never()).pauseWithoutWaiting(any());
        assertEquals(0, orphans.askSources());
        verify(domains, times(1)).destroy(DOM);
        verify(domains, never()).unpause(any());
        assertEquals(List.of(), journal.entries());
    }

    @Test
    void theAgentHoldsTheGuestsAsItStartsAndAGuestGoneIsForgotten() {
        LeaseJournal journal = journalWithOneGuest(DomainInfo.State.RUNNING);
        journal.write(new LeaseJournal.Entry("s2", "gone", 9, "127.0.0.1", 7410, 16));
        when(domains.info(DomainId.of(9))).thenThrow(new org.xenpostcopy.xen.XenException("xc_domain_getinfo",
                org.xenpostcopy.xen.Errno.ESRCH, "test"));
        when(source.hasReleased()).thenReturn(false);
        try (IncomingMigrations incoming = new IncomingMigrations(host, peers, Duration.ofMinutes(10),
                IncomingEvents.NONE, journal)) {
            verify(domains).pauseWithoutWaiting(DOM);
            assertEquals(List.of("s1"), journal.entries().stream().map(LeaseJournal.Entry::sessionId).toList());
        }
        verify(domains, never()).unpause(any());
    }

    /**
     * On Xen the old daemon's exit fence paused the guest as it died: a paused guest with no page out is ours to
     * let run again once its source released it. One with pages still out stays as it was (it cannot run without
     * a pager, and a source that released its guest had sent every page).
     */
    @Test
    void aGuestTheOldDaemonsFencePausedRunsAgainOnceReleasedAndOneWithPagesOutStaysPaused() {
        when(source.hasReleased()).thenReturn(true);
        OrphanedLeases fenced = new OrphanedLeases(host, peers, journalWithOneGuest(DomainInfo.State.PAUSED, 0));
        assertEquals(1, fenced.holdAll());
        assertEquals(0, fenced.askSources());
        verify(domains, never()).pauseWithoutWaiting(any());
        verify(domains).unpause(DOM);

        OrphanedLeases pagesOut = new OrphanedLeases(host, peers, journalWithOneGuest(DomainInfo.State.PAUSED, 3));
        assertEquals(1, pagesOut.holdAll());
        assertEquals(0, pagesOut.askSources());
        verify(domains, times(1)).unpause(DOM);
    }
}
