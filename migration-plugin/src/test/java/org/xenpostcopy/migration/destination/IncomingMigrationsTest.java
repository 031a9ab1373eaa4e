package org.xenpostcopy.migration.destination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.peer.Prepare;
import org.xenpostcopy.migration.peer.Resume;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DirtyLog;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.ExitFence;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestMemory;
import org.xenpostcopy.xen.PagingChannel;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.XenStore;

/** The destination's sessions: one per domain name, and a prepared session its source forgot is given up. */
class IncomingMigrationsTest {
    private static final DomainId DOM = DomainId.of(5);
    private static final long PAGES = 64;
    private final XenHost host = mock(XenHost.class);
    private final DomainControl domains = mock(DomainControl.class);
    private final GuestMemory memory = mock(GuestMemory.class);
    private final DomainConfig config = new DomainConfig("vm", PAGES, 1, "idle", 1);
    private final Duration idleLimit = Duration.ofMinutes(10);
    private IncomingMigrations incoming;

    @BeforeEach
    void wire() {
        when(host.domains()).thenReturn(domains);
        when(host.memory()).thenReturn(memory);
        when(host.store()).thenReturn(mock(XenStore.class));
        when(host.guestProbe()).thenReturn(Optional.empty());
        when(domains.create(any(), any(Boolean.class))).thenReturn(DOM);
        when(memory.gfnCount(DOM)).thenReturn(PAGES);
        when(domains.info(DOM)).thenReturn(new DomainInfo(DOM, "vm", PAGES, PAGES, 0, 1, DomainInfo.State.PAUSED));
        incoming = new IncomingMigrations(host, mock(PeerConnector.class), idleLimit);
    }

    @AfterEach
    void close() {
        incoming.close();
    }

    /** A pre-copy prepare: no pager, no demand channel, only the domain. */
    private Prepare precopy(DomainConfig domain) {
        return new Prepare(domain, 0, InetSocketAddress.createUnresolved("src", 7410), 0, 0,
                new GfnBitmap(PAGES), MigrationMode.PRECOPY, 5000);
    }

    @Test
    void aSecondSessionForTheSameDomainNameIsRefusedUntilTheFirstEnds() {
        incoming.prepare("s1", precopy(config));
        PeerException e = assertThrows(PeerException.class, () -> incoming.prepare("s2", precopy(config)));
        assertEquals(RemoteError.WRONG_STATE, e.error());
        assertEquals("a migration of 'vm' is already coming in", e.getMessage());
        incoming.abort("s1", "test");
        incoming.prepare("s3", precopy(config));
        assertEquals(java.util.Set.of("s3"), incoming.activeSessions());
    }

    @Test
    void aSessionWhoseDomainWasDestroyedHereFreesTheNameForTheNextMigration() {
        incoming.prepare("s1", precopy(config));
        // An administrator destroyed the domain behind the session's back (xl destroy): nothing holds the name now.
        when(domains.info(DOM)).thenThrow(new org.xenpostcopy.xen.XenException("xc_domain_getinfo",
                org.xenpostcopy.xen.Errno.ESRCH, "test"));
        incoming.prepare("s2", precopy(config));
        assertEquals(java.util.Set.of("s2"), incoming.activeSessions());
    }

    @Test
    void aFailedPrepareFreesTheName() {
        when(domains.create(any(), any(Boolean.class))).thenThrow(new org.xenpostcopy.xen.XenException("xc_domain_create",
                org.xenpostcopy.xen.Errno.ENOMEM, "test")).thenReturn(DOM);
        assertEquals(RemoteError.HOST_ERROR,
                assertThrows(PeerException.class, () -> incoming.prepare("s1", precopy(config))).error());
        incoming.prepare("s2", precopy(config));
    }

    @Test
    void aPreparedSessionWhoseSourceFellSilentIsDestroyedAndOnlyThen() {
        incoming.prepare("s1", precopy(config));
        long now = System.nanoTime();
        assertEquals(0, incoming.reapIdle(now));
        verify(domains, never()).destroy(DOM);
        assertEquals(1, incoming.reapIdle(now + idleLimit.toNanos() + TimeUnit.SECONDS.toNanos(1)));
        verify(domains).destroy(DOM);
        assertEquals(java.util.Set.of(), incoming.activeSessions());
        assertEquals(RemoteError.UNKNOWN_SESSION, assertThrows(PeerException.class,
                () -> incoming.abort("s1", "late")).error());
    }

    @Test
    void aPrepareLargerThanTheHostsFreeMemoryIsRefusedBeforeAnythingIsCreated() {
        when(domains.freeMemoryKiB()).thenReturn(java.util.OptionalLong.of(PAGES * 4 - 4));
        PeerException e = assertThrows(PeerException.class, () -> incoming.prepare("s1", precopy(config)));
        assertEquals(RemoteError.HOST_ERROR, e.error());
        assertEquals("refused: vm needs 0.3 MiB and this host has 0.2 MiB free", e.getMessage());
        verify(domains, never()).create(any(), any(Boolean.class));
        when(domains.freeMemoryKiB()).thenReturn(java.util.OptionalLong.of(PAGES * 4));
        incoming.prepare("s2", precopy(config));   // it fits now, and the name was not left claimed
    }

    @Test
    void theSessionsPhasesAreCountedAndEachEndIsToldOnceWithItsOutcome() {
        IncomingEvents events = mock(IncomingEvents.class);
        IncomingMigrations watched = new IncomingMigrations(host, mock(PeerConnector.class), idleLimit, events);
        try {
            watched.prepare("s1", precopy(config));
            watched.prepare("s2", precopy(new DomainConfig("vm2", PAGES, 1, "idle", 1)));
            assertEquals(2L, watched.phases().get(DestinationPhase.PREPARED));
            assertEquals(0L, watched.phases().get(DestinationPhase.RUNNING));

            watched.abort("s1", "test");
            long later = System.nanoTime() + idleLimit.toNanos() + TimeUnit.SECONDS.toNanos(1);
            assertEquals(1, watched.reapIdle(later));

            verify(events, org.mockito.Mockito.times(2)).sessionEnded(DestinationPhase.ABORTED, Optional.empty());
            assertEquals(0L, watched.phases().get(DestinationPhase.PREPARED));
            assertEquals(DestinationPhase.values().length, watched.phases().size());
        } finally {
            watched.close();
        }
    }

    /**
     * On Xen a domain outlives its daemon: a guest that runs here on its source's lease is fenced to this daemon
     * (paused should it die) before it first runs, and the fence is released once the source releases the guest.
     */
    @Test
    void aGuestRunningOnALeaseIsFencedToThisDaemonUntilItsSourceReleasesIt() {
        ExitFence fence = mock(ExitFence.class);
        when(domains.pauseIfThisProcessDies(DOM)).thenReturn(fence);
        PagingChannel paging = mock(PagingChannel.class);
        when(host.paging()).thenReturn(paging);
        when(paging.enable(DOM)).thenReturn(mock(PagingSession.class));
        when(host.dirtyLog()).thenReturn(mock(DirtyLog.class));
        Prepare leased = new Prepare(config, 0, InetSocketAddress.createUnresolved("src", 7410), 0, 0,
                new GfnBitmap(PAGES), MigrationMode.POSTCOPY, 5000, new Checkpointing(60_000, 120_000));
        incoming.prepare("s1", leased);
        incoming.resume("s1", new Resume(List.of(new VcpuState(0, new byte[] {1})), new GfnBitmap(PAGES), 0,
                Optional.empty(), 0));

        InOrder order = inOrder(domains);
        order.verify(domains).pauseIfThisProcessDies(DOM);
        order.verify(domains).unpause(DOM);
        verify(fence, never()).close();
        incoming.released("s1");
        verify(fence).close();
    }

    @Test
    void aGuestOnNoLeaseIsNotFenced() {
        incoming.prepare("s1", precopy(config));
        incoming.resume("s1", new Resume(List.of(new VcpuState(0, new byte[] {1})), new GfnBitmap(PAGES), 0,
                Optional.empty(), 0));
        verify(domains).unpause(DOM);
        verify(domains, never()).pauseIfThisProcessDies(any());
    }
}
