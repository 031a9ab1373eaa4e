package org.xenpostcopy.migration.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;
import org.xenpostcopy.balloon.SelfBallooningController;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.Complete;
import org.xenpostcopy.migration.peer.Completion;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.peer.LinkState;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.peer.Prepare;
import org.xenpostcopy.migration.peer.Reattachment;
import org.xenpostcopy.migration.peer.Resume;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.DirtyLog;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestMemory;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.XenStore;

/**
 * Failures on a mocked host and peer. Before the switch the guest stays the source's and nothing is left behind;
 * after it a cut is mended by reconnecting, and a destination that no longer knows the session fails the migration
 * with the source's copy kept paused.
 */
class OutgoingMigrationTest {
    private static final DomainId DOM = DomainId.of(3);
    private static final long PAGES = 16;
    private final XenHost host = mock(XenHost.class);
    private final DomainControl domains = mock(DomainControl.class);
    private final GuestMemory memory = mock(GuestMemory.class);
    private final DirtyLog dirty = mock(DirtyLog.class);
    private final DestinationPeer peer = mock(DestinationPeer.class);
    private final PeerConnector peers = mock(PeerConnector.class);
    private final AtomicInteger pushes = new AtomicInteger();

    @BeforeEach
    void wire() {
        when(host.domains()).thenReturn(domains);
        when(host.memory()).thenReturn(memory);
        when(host.dirtyLog()).thenReturn(dirty);
        when(host.store()).thenReturn(mock(XenStore.class));
        when(host.guestProbe()).thenReturn(Optional.empty());
        when(domains.info(DOM)).thenReturn(new DomainInfo(DOM, "vm", PAGES, PAGES, 0, 1, DomainInfo.State.RUNNING));
        when(domains.config(DOM)).thenReturn(new DomainConfig("vm", PAGES, 1, "idle", 1));
        when(domains.populated(DOM)).thenReturn(GfnBitmap.full(PAGES));
        when(domains.vcpuStates(DOM)).thenReturn(List.of(new VcpuState(0, new byte[1])));
        when(memory.gfnCount(DOM)).thenReturn(PAGES);
        doAnswer(inv -> {
            ByteBuffer dst = inv.getArgument(2);
            dst.position(dst.position() + Gfn.PAGE_SIZE);
            return null;
        }).when(memory).read(eq(DOM), any(), any());
        GfnBitmap oneDirty = new GfnBitmap(PAGES);
        oneDirty.set(4);
        when(dirty.readAndClear(DOM)).thenReturn(oneDirty);
        when(peers.destination(any(), anyString(), anyLong(), anyInt(), any())).thenReturn(peer);
        when(peer.prepare(any())).thenReturn(new Prepare.Reply(9, 1.0));
        // Nothing expected: the heartbeats' progress watch has nothing to hold against a mock that loads nothing.
        when(peer.heartbeat()).thenReturn(new LinkState("RUNNING", 0, 0));
    }

    private OutgoingMigration migration() {
        return migration(MigrationMode.PRECOPY);
    }

    private OutgoingMigration migration(MigrationMode mode) {
        MigrationOptions options = MigrationOptions.defaults().withMode(mode).withBaselineMs(0);
        return new OutgoingMigration(host, new PageServer(), peers, InetSocketAddress.createUnresolved("self", 1),
                DOM, InetSocketAddress.createUnresolved("dest", 2), options, MigrationProgress.NONE, Optional.empty());
    }

    /** The {@code n}-th push (1-based) fails as a broken connection would. */
    private void pushFailsAt(int n) {
        doAnswer(inv -> {
            if (pushes.incrementAndGet() == n) {
                throw new PeerException(RemoteError.CONNECTION, "push failed at the destination dest:2: Broken pipe");
            }
            return null;
        }).when(peer).push(any());
    }

    private OutgoingMigration migration(MigrationMode mode, LinkTurns.Turn turn) {
        MigrationOptions options = MigrationOptions.defaults().withMode(mode).withBaselineMs(0);
        return new OutgoingMigration(host, new PageServer(), peers, InetSocketAddress.createUnresolved("self", 1),
                DOM, InetSocketAddress.createUnresolved("dest", 2), options, MigrationProgress.NONE, Optional.empty(),
                SessionJournal.none(), turn);
    }

    @Test
    void aMigrationWaitsForItsTurnBeforeItsDestinationIsEvenAskedToPrepare() throws Exception {
        LinkTurns.Turn turn = mock(LinkTurns.Turn.class);
        when(turn.await(anyLong())).thenReturn(false, false, true);
        pushFailsAt(1);     // the first page sent is where this test ends
        assertThrows(MigrationException.class, migration(MigrationMode.PRECOPY, turn)::run);
        InOrder order = inOrder(peers, peer, turn);
        order.verify(turn).toSend(PAGES);   // every gfn populated here: all of them to send
        order.verify(turn).await(0);
        order.verify(turn, org.mockito.Mockito.times(2)).await(60_000);
        order.verify(peers).destination(any(), anyString(), anyLong(), anyInt(), any());
        order.verify(peer).prepare(any());
        order.verify(peer).push(any());
        order.verify(turn).release();
    }

    @Test
    void interruptedWhileWaitingForItsTurnNothingIsLeftBehindAndTheGuestKeepsRunning() throws Exception {
        LinkTurns.Turn turn = mock(LinkTurns.Turn.class);
        when(turn.await(anyLong())).thenReturn(false).thenThrow(new InterruptedException());
        MigrationException e = assertThrows(MigrationException.class, migration(MigrationMode.POSTCOPY, turn)::run);
        assertTrue(e.getMessage().endsWith("keeps running here"), e.getMessage());
        assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
        verify(peers, never()).destination(any(), anyString(), anyLong(), anyInt(), any());
        verify(domains, never()).suspendForMigration(any());
        verify(turn).release();
    }

    @Test
    void aBalloonStartedForAMigrationWhoseWaitIsInterruptedIsLetGoAndTheGuestGetsItsMemoryBack() throws Exception {
        SelfBallooningController dsb = mock(SelfBallooningController.class);
        when(dsb.isManaging(DOM)).thenReturn(false, true);
        LinkTurns.Turn turn = mock(LinkTurns.Turn.class);
        when(turn.await(anyLong())).thenReturn(false).thenThrow(new InterruptedException());
        MigrationOptions options = MigrationOptions.defaults().withBaselineMs(0).withDsb(true);
        OutgoingMigration m = new OutgoingMigration(host, new PageServer(), peers,
                InetSocketAddress.createUnresolved("self", 1), DOM, InetSocketAddress.createUnresolved("dest", 2),
                options, MigrationProgress.NONE, Optional.of(dsb), SessionJournal.none(), turn);
        assertThrows(MigrationException.class, m::run);
        assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
        InOrder order = inOrder(dsb, turn);
        order.verify(dsb).start(DOM);
        order.verify(turn, org.mockito.Mockito.times(2)).await(anyLong());
        order.verify(dsb).stop(DOM, true);
        verify(peers, never()).destination(any(), anyString(), anyLong(), anyInt(), any());
    }

    @Test
    void aPostCopyMigrationGivesItsTurnBackAtItsLastPageBeforeItsCompletion() throws Exception {
        LinkTurns.Turn turn = mock(LinkTurns.Turn.class);
        when(turn.await(anyLong())).thenReturn(true);
        when(peer.resume(any())).thenReturn(new Resume.Reply(1, 1));
        when(peer.complete(any())).thenAnswer(inv -> {
            verify(turn).release();     // the destination's completion and memory check need no link
            return completion();
        });
        MigrationReport report = migration(MigrationMode.POSTCOPY, turn).run();
        verify(peer).complete(any());
        assertEquals(0, report.linkWaitMs(), "its turn was there at once");
    }

    /** A guest of {@code pages}, all populated, that completes at the destination. */
    private void aGuestOf(long pages) {
        when(domains.info(DOM)).thenReturn(new DomainInfo(DOM, "vm", pages, pages, 0, 1, DomainInfo.State.RUNNING));
        when(domains.config(DOM)).thenReturn(new DomainConfig("vm", pages, 1, "idle", 1));
        when(domains.populated(DOM)).thenReturn(GfnBitmap.full(pages));
        when(memory.gfnCount(DOM)).thenReturn(pages);
        when(peer.resume(any())).thenReturn(new Resume.Reply(1, 1));
        when(peer.complete(any())).thenReturn(new Completion(pages, 0, 0, 0, new Completion.Latency(0, 0, 0), 1, -1,
                -1, -1, true, 0, "", 9));
    }

    /** The push connection takes {@code nanosPerPage} a page at least, then tells {@code taken}. */
    private void pushTakes(long nanosPerPage, java.util.function.Consumer<PageBatch> taken) {
        doAnswer(inv -> {
            PageBatch b = inv.getArgument(0);
            long until = System.nanoTime() + b.count() * nanosPerPage;
            while (System.nanoTime() < until) {
                LockSupport.parkNanos(until - System.nanoTime());
            }
            taken.accept(b);
            return null;
        }).when(peer).push(any());
    }

    private static MigrationOptions linearPostCopy() {
        return MigrationOptions.defaults().withMode(MigrationMode.POSTCOPY).withBaselineMs(0)
                .withPrePaging(PrePaging.PUSH);
    }

    @Test
    void aPushHandsItsTurnOverAboutTheHandoffTimeBeforeItsLastPage() throws Exception {
        long pages = 4096;
        aGuestOf(pages);
        AtomicLong pushed = new AtomicLong();
        // At least 250 µs a page: 300 ms of it is 1 200 pages, the whole push about 1 s.
        pushTakes(250_000L, b -> pushed.addAndGet(b.count()));
        AtomicLong pushedAtHandOff = new AtomicLong(-1);
        LinkTurns.Turn turn = mock(LinkTurns.Turn.class);
        when(turn.await(anyLong())).thenReturn(true);
        doAnswer(inv -> pushedAtHandOff.compareAndSet(-1, pushed.get())).when(turn).release();
        new OutgoingMigration(host, new PageServer(), peers, InetSocketAddress.createUnresolved("self", 1), DOM,
                InetSocketAddress.createUnresolved("dest", 2), linearPostCopy(), MigrationProgress.NONE,
                Optional.empty(), SessionJournal.none(), turn).run();

        assertEquals(pages, pushed.get(), "every page pushed");
        long left = pages - pushedAtHandOff.get();
        // Handed over before the last page, and no sooner than 300 ms of this connection (plus a batch) before it:
        // a slower connection than its 250 µs a page only hands over later.
        assertTrue(left > 0 && left <= 1200 + 64, left + " pages left to push when the turn was handed over");
    }

    @Test
    void theReportSaysHowLongTheMigrationWaitedForItsTurnWithinItsTotal() throws Exception {
        CountDownLatch queued = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        LinkTurns.Turn turn = mock(LinkTurns.Turn.class);
        when(turn.await(0)).thenReturn(false);
        when(turn.await(60_000)).thenAnswer(inv -> go.await(10, TimeUnit.SECONDS));
        when(peer.resume(any())).thenReturn(new Resume.Reply(1, 1));
        when(peer.complete(any())).thenReturn(completion());
        MigrationOptions options = MigrationOptions.defaults().withMode(MigrationMode.POSTCOPY).withBaselineMs(0);
        OutgoingMigration m = new OutgoingMigration(host, new PageServer(), peers,
                InetSocketAddress.createUnresolved("self", 1), DOM, InetSocketAddress.createUnresolved("dest", 2),
                options, (phase, done, total, faults) -> {
                    if (phase.equals(MigrationProgress.WAITING_FOR_LINK)) {
                        queued.countDown();
                    }
                }, Optional.empty(), SessionJournal.none(), turn);
        CompletableFuture<MigrationReport> run = CompletableFuture.supplyAsync(m::run);
        assertTrue(queued.await(10, TimeUnit.SECONDS), "the migration said it waits for the link");
        long heldFrom = System.nanoTime();
        // The turn is held for a known time: what the report must show, not a wait for something to happen.
        while (System.nanoTime() - heldFrom < TimeUnit.MILLISECONDS.toNanos(40)) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        double heldMs = (System.nanoTime() - heldFrom) / 1e6;
        go.countDown();
        MigrationReport report = run.get(30, TimeUnit.SECONDS);
        assertTrue(report.linkWaitMs() >= heldMs, report.linkWaitMs() + " ms waited, held " + heldMs + " ms");
        assertTrue(report.linkWaitMs() <= report.totalMigrationMs(), "the wait is part of the total");
        assertTrue(MigrationReport.fromJson(report.toJson()).linkWaitMs() == report.linkWaitMs(), "and in the JSON");
    }

    @Test
    void theBaselineIsTheRateOverTheWindowBeforeTheRequestReadFromTheHistoryWithoutWaiting() {
        GuestThroughputHistory history = historyOfAGuestCounting(1_000L, 5_000L, 7_000L);
        long now = System.nanoTime();
        history.sample(now - 6_000_000_000L);     // 6 s ago, at 1000 operations
        history.sample(now - 10_000_000L);        // and a moment ago
        // A 5 s window, none of it waited for: the phase is announced before any wait, and fails the test.
        MigrationReport report = migrationWithHistory(5_000, history, (phase, done, total, faults) -> {
            if (phase.equals("baseline")) {
                throw new AssertionError("the baseline was waited for");
            }
        }).run();
        // 6000 operations from the sample 6 s old, the latest at least a window old, to now: 1000 a second.
        assertEquals(1_000.0, report.appThroughputBaseline(), 20.0);
    }

    @Test
    void aGuestSampledForLessThanTheWindowHasTheRestOfItWaitedFor() {
        GuestThroughputHistory history = historyOfAGuestCounting(1_000L, 4_000L);
        long sampledAt = System.nanoTime();
        history.sample(sampledAt);
        List<String> phases = new java.util.concurrent.CopyOnWriteArrayList<>();
        MigrationReport report = migrationWithHistory(300, history, (phase, d, t, f) -> phases.add(phase)).run();
        assertTrue(phases.contains("baseline"), "the rest of the window waited for: " + phases);
        // 3000 operations over at least the 300 ms window from the sample on, never over less.
        assertTrue(report.appThroughputBaseline() > 0 && report.appThroughputBaseline() <= 10_000.0,
                "baseline " + report.appThroughputBaseline());
    }

    /** A history (not yet sampled) of this host's guest, whose probe reads {@code first}, then each of {@code then}. */
    private GuestThroughputHistory historyOfAGuestCounting(Long first, Long... then) {
        GuestProbe probe = mock(GuestProbe.class);
        when(host.guestProbe()).thenReturn(Optional.of(probe));
        DomainInfo vm = domains.info(DOM);
        when(domains.list()).thenReturn(List.of(vm));
        when(probe.operations(DOM)).thenReturn(first, then);
        return new GuestThroughputHistory(probe, domains, null);
    }

    private OutgoingMigration migrationWithHistory(long baselineMs, GuestThroughputHistory history,
                                                   MigrationProgress progress) {
        when(peer.resume(any())).thenReturn(new Resume.Reply(1, 1));
        when(peer.complete(any())).thenReturn(completion());
        MigrationOptions options = MigrationOptions.defaults().withMode(MigrationMode.POSTCOPY)
                .withBaselineMs(baselineMs);
        return new OutgoingMigration(host, new PageServer(), peers, InetSocketAddress.createUnresolved("self", 1),
                DOM, InetSocketAddress.createUnresolved("dest", 2), options,
                progress, Optional.empty(), SessionJournal.none(),
                LinkTurns.ANY_TIME, Optional.of(history));
    }

    @Test
    void onASlowConnectionThePushSendsSmallerBatchesSoAFaultOnAPushedPageWaitsLess() {
        long pages = 1024;
        aGuestOf(pages);
        List<Integer> batches = new java.util.concurrent.CopyOnWriteArrayList<>();
        // The connection takes 250 µs a page (16 MB/s): 5 ms of it is 20 pages.
        pushTakes(250_000L, b -> batches.add(b.count()));
        new OutgoingMigration(host, new PageServer(), peers, InetSocketAddress.createUnresolved("self", 1), DOM,
                InetSocketAddress.createUnresolved("dest", 2), linearPostCopy(), MigrationProgress.NONE,
                Optional.empty()).run();
        assertEquals(pages, batches.stream().mapToInt(Integer::intValue).sum(), "every page pushed once");
        assertEquals(64, batches.get(0), "the first batch is a full one");
        // Slower to take than it measured, never faster: later batches are at most 20 pages, at least the minimum.
        assertTrue(batches.subList(3, batches.size() - 1).stream().allMatch(n -> n >= 4 && n <= 20), batches::toString);
    }

    @Test
    void aFailedLiveRoundTurnsLogDirtyOffAbortsTheDestinationAndNeverPausesTheGuest() {
        pushFailsAt(1);
        OutgoingMigration m = migration();
        MigrationException e = assertThrows(MigrationException.class, m::run);
        assertTrue(e.getMessage().endsWith("keeps running here"), e.getMessage());
        InOrder order = inOrder(dirty, peer);
        order.verify(dirty).enable(DOM);
        order.verify(dirty).disable(DOM);
        order.verify(peer).abort(anyString());
        verify(domains, never()).suspendForMigration(any());
        verify(peer).close();
        assertEquals(SourcePhase.FAILED, m.phase());
    }

    @Test
    void aFailedStopAndCopyResumesTheGuestHereAndAbortsTheDestination() {
        // Round 1 is one push of 16 pages; the round of the one dirty page is the second; the stop-and-copy the third.
        pushFailsAt(3);
        OutgoingMigration m = migration();
        MigrationException e = assertThrows(MigrationException.class, m::run);
        assertTrue(e.getMessage().contains("keeps running here"), e.getMessage());
        InOrder order = inOrder(domains, peer);
        order.verify(domains).suspendForMigration(DOM);
        order.verify(domains).resumeAfterFailedMigration(DOM);
        order.verify(peer).abort(anyString());
        verify(peer, never()).resume(any());
        verify(domains, never()).destroy(any());
        assertEquals(SourcePhase.FAILED, m.phase());
    }

    @Test
    void aPauseThatFailsResumesTheGuestHereAndAbortsTheDestination() {
        doThrow(new XenException("suspend", Errno.ETIMEDOUT, "the guest did not suspend")).when(domains)
                .suspendForMigration(DOM);
        OutgoingMigration m = migration(MigrationMode.POSTCOPY);
        MigrationException e = assertThrows(MigrationException.class, m::run);
        assertTrue(e.getMessage().contains("keeps running here"), e.getMessage());
        verify(domains).resumeAfterFailedMigration(DOM);
        verify(peer).abort(anyString());
        verify(peer, never()).resume(any());
        assertFalse(m.handedOver());
    }

    @Test
    void aCopyLeftPausedAfterTheHandoverIsNeverMigratedAgain() {
        when(peer.resume(any())).thenReturn(new Resume.Reply(1, 1));
        when(peer.complete(any())).thenThrow(new PeerException(RemoteError.CONNECTION, "complete failed: reset"));
        when(peer.reconnect(anyLong(), any())).thenThrow(new PeerException(RemoteError.UNKNOWN_SESSION, "no such session"));
        OutgoingMigrations outgoing = new OutgoingMigrations(host, new PageServer(), peers,
                () -> InetSocketAddress.createUnresolved("self", 1), Optional.empty());
        InetSocketAddress dest = InetSocketAddress.createUnresolved("dest", 2);
        MigrationOptions options = MigrationOptions.defaults().withBaselineMs(0);
        MigrationException first = assertThrows(MigrationException.class,
                () -> outgoing.migrate(DOM, dest, options, MigrationProgress.NONE));
        assertTrue(first.getMessage().contains("stays paused here"), first.getMessage());
        verify(domains, never()).resumeAfterFailedMigration(any());

        MigrationException again = assertThrows(MigrationException.class,
                () -> outgoing.migrate(DOM, dest, options, MigrationProgress.NONE));
        assertTrue(again.getMessage().contains("was handed over to another host"), again.getMessage());
        // The first migration and its one reconnect attempt; the refused second migration opens nothing.
        verify(peers, org.mockito.Mockito.times(2)).destination(any(), anyString(), anyLong(), anyInt(), any());
    }

    @Test
    void aCutDuringCompletionIsMendedAndThePagesTheDestinationMissesGoAgain() {
        when(peer.resume(any())).thenReturn(new Resume.Reply(1, 1));
        GfnBitmap missing = new GfnBitmap(PAGES);
        missing.set(2);
        missing.set(11);
        when(peer.reconnect(eq(PAGES), any())).thenReturn(new Reattachment(missing, PAGES - 2, PAGES - 2));
        List<Complete> completes = new java.util.ArrayList<>();
        when(peer.complete(any())).thenAnswer(inv -> {
            completes.add(inv.getArgument(0));
            if (completes.size() == 1) {
                throw new PeerException(RemoteError.CONNECTION, "complete failed at the destination: reset");
            }
            return completion();
        });
        List<Long> pushed = PushedGfns.recordedBy(peer);

        MigrationReport report = migration(MigrationMode.POSTCOPY).run();

        InOrder order = inOrder(peer);
        order.verify(peer).complete(any());
        order.verify(peer).reconnect(eq(PAGES), any());
        order.verify(peer).recovered();
        order.verify(peer).complete(any());
        assertEquals(PAGES + 2, pushed.size(), "every page once, and the two missing ones again: " + pushed);
        assertEquals(List.of(2L, 11L), pushed.subList((int) PAGES, pushed.size()));
        assertEquals(0, completes.get(0).pagesResent());
        assertEquals(2, completes.get(1).pagesResent());
        assertEquals(PAGES + 2, completes.get(1).pagesSent());
        assertEquals(1, report.recovery().cuts());
        assertEquals(2, report.recovery().pagesResent());
        verify(domains).destroy(DOM);
        verify(domains, never()).resumeAfterFailedMigration(any());
    }

    /**
     * With a lease, giving up must not leave the copy paused here: a destination whose daemon restarted holds its
     * copy paused until told, and the guest would stand stopped on both hosts. The give-up time comes first here
     * (400 ms against a 2 s lease), and the guest comes back instead.
     */
    @Test
    void aDestinationGivenUpOnWhileItsLeaseRunsIsFailedBackNotLeftPaused() {
        when(peer.prepare(any())).thenReturn(new Prepare.Reply(9, 1.0, 2000));
        when(peer.resume(any())).thenReturn(new Resume.Reply(1, 1));
        when(peer.complete(any())).thenThrow(new PeerException(RemoteError.CONNECTION, "complete failed: reset"));
        when(peer.reconnect(anyLong(), any())).thenThrow(new PeerException(RemoteError.UNKNOWN_SESSION,
                "no incoming migration with that session id"));
        MigrationOptions options = MigrationOptions.defaults().withMode(MigrationMode.POSTCOPY).withBaselineMs(0)
                .withRecovery(100, 400).withCheckpointing(new Checkpointing(100, 2000));
        OutgoingMigration m = new OutgoingMigration(host, new PageServer(), peers,
                InetSocketAddress.createUnresolved("self", 1), DOM, InetSocketAddress.createUnresolved("dest", 2),
                options, MigrationProgress.NONE, Optional.empty());

        MigrationException e = assertThrows(MigrationException.class, m::run);

        assertTrue(e.getMessage().contains("gave up reconnecting") && e.getMessage().contains("runs here again"),
                e.getMessage());
        assertFalse(e.getMessage().contains("stays paused here"), e.getMessage());
        assertFalse(m.handedOver());
        verify(domains, never()).destroy(DOM);
    }

    @Test
    void aDestinationThatStaysUnreachableIsGivenUpWithTheCopyKeptPausedHere() {
        when(peer.resume(any())).thenReturn(new Resume.Reply(1, 1));
        DestinationPeer first = peer;
        when(peer.complete(any())).thenThrow(new PeerException(RemoteError.CONNECTION, "complete failed: reset"));
        AtomicInteger attempts = new AtomicInteger();
        when(peers.destination(any(), anyString(), anyLong(), anyInt(), any())).thenAnswer(inv -> {
            if (attempts.incrementAndGet() == 1) {
                return first;
            }
            throw new MigrationException("cannot reach the daemon at dest:2 (Connection refused)");
        });
        MigrationOptions options = MigrationOptions.defaults().withMode(MigrationMode.POSTCOPY).withBaselineMs(0)
                .withRecovery(100, 400);
        OutgoingMigration m = new OutgoingMigration(host, new PageServer(), peers,
                InetSocketAddress.createUnresolved("self", 1), DOM, InetSocketAddress.createUnresolved("dest", 2),
                options, MigrationProgress.NONE, Optional.empty());

        MigrationException e = assertThrows(MigrationException.class, m::run);

        assertTrue(e.getMessage().contains("gave up reconnecting") && e.getMessage().contains("stays paused here"),
                e.getMessage());
        assertTrue(attempts.get() >= 2, "the first connection and at least one reconnect attempt: " + attempts.get());
        assertTrue(m.handedOver());
        verify(domains, never()).resumeAfterFailedMigration(any());
        verify(domains, never()).destroy(any());
        assertEquals(SourcePhase.FAILED, m.phase());
    }

    private static Completion completion() {
        return new Completion(PAGES, 0, 0, 0, new Completion.Latency(0, 0, 0), 1, -1, -1, -1, true, 0, "", 9);
    }

    @Test
    void aLostResumeReplyIsFoundOutByRecoveryAndAGuestTheDestinationNeverRanComesBackHere() {
        when(peer.resume(any())).thenThrow(new PeerException(RemoteError.CONNECTION, "resume failed: reset"));
        AtomicInteger aborts = new AtomicInteger();
        doAnswer(inv -> {
            if (aborts.incrementAndGet() == 1) {
                throw new PeerException(RemoteError.CONNECTION, "abort failed: reset");
            }
            return null;
        }).when(peer).abort(anyString());
        when(peer.reconnect(anyLong(), any())).thenThrow(new PeerException(RemoteError.NOT_RESUMED,
                "session was prepared here but never resumed"));
        OutgoingMigration m = migration(MigrationMode.POSTCOPY);

        MigrationException e = assertThrows(MigrationException.class, m::run);

        assertTrue(e.getMessage().contains("never resumed") && e.getMessage().contains("keeps running here"),
                e.getMessage());
        assertEquals(2, aborts.get());
        verify(domains).resumeAfterFailedMigration(DOM);
        verify(domains, never()).destroy(any());
        assertFalse(m.handedOver());
    }

    @Test
    void aLostResumeReplyOfAGuestThatRunsThereIsRecoveredAndTheMigrationCompletes() {
        when(peer.resume(any())).thenThrow(new PeerException(RemoteError.CONNECTION, "resume failed: reset"));
        doThrow(new PeerException(RemoteError.WRONG_STATE, "the guest already runs here")).when(peer).abort(anyString());
        when(peer.reconnect(eq(PAGES), any())).thenReturn(new Reattachment(GfnBitmap.full(PAGES), 0, 0));
        when(peer.complete(any())).thenReturn(completion());

        MigrationReport report = migration(MigrationMode.POSTCOPY).run();

        assertEquals(1, report.recovery().cuts());
        verify(domains).destroy(DOM);
        verify(domains, never()).resumeAfterFailedMigration(any());
    }
}
