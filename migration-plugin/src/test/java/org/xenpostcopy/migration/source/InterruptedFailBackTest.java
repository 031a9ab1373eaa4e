package org.xenpostcopy.migration.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.InOrder;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.link.LinkShaper;
import org.xenpostcopy.migration.peer.Checkpoint;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.prepaging.PrePagingPolicy;
import org.xenpostcopy.migration.peer.WireBytes;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestMemory;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenHost;

/**
 * A source daemon that dies in the middle of a fail-back (issue 14): the journal says FAILING_BACK, with the
 * checkpoint beside it, before the copy is touched, and RESTORED before the resume; the next daemon restores a
 * half-restored copy again, whole, and resumes it once, never restores over a guest that may have run, never
 * serves the copy, and answers the destination TAKEN_BACK. The death is a host call that throws mid-restore, and
 * the next daemon a fresh mocked host over the same journal.
 */
class InterruptedFailBackTest {
    private static final DomainId DOM = DomainId.of(4);
    private static final long SPAN = 16;
    private static final VcpuState VCPU = new VcpuState(0, new byte[] {7, 8, 9});

    @TempDir
    Path dir;

    /** One host as a daemon sees it: the domain paused (or not), every page written recorded. */
    private static final class Host {
        final XenHost host = mock(XenHost.class);
        final DomainControl domains = mock(DomainControl.class);
        final GuestMemory memory = mock(GuestMemory.class);
        final Map<Long, byte[]> written = new TreeMap<>();

        Host(DomainInfo.State state) {
            when(host.domains()).thenReturn(domains);
            when(host.memory()).thenReturn(memory);
            when(host.guestProbe()).thenReturn(Optional.empty());
            when(domains.info(DOM)).thenReturn(new DomainInfo(DOM, "vm", SPAN, SPAN, 0, 1, state));
            GfnBitmap populated = GfnBitmap.full(SPAN);
            populated.clear(9);                                      // a hole here the guest refilled there
            when(domains.populated(DOM)).thenReturn(populated);
            doAnswer(inv -> {
                ByteBuffer src = inv.getArgument(2);
                byte[] b = new byte[Gfn.PAGE_SIZE];
                src.duplicate().get(b);
                written.put(((Gfn) inv.getArgument(1)).value(), b);
                return null;
            }).when(memory).write(eq(DOM), any(), any());
        }
    }

    private static SessionJournal.Entry entry() {
        return new SessionJournal.Entry("s1", DOM.value(), "dest", 7410, SPAN, "push", 64, 0, 0, 500, 60_000, 60_000,
                false, 0, true);
    }

    private static byte[] page(int fill) {
        byte[] b = new byte[Gfn.PAGE_SIZE];
        Arrays.fill(b, (byte) fill);
        b[0] = (byte) (fill + 1);
        return b;
    }

    private static SourceSession checkpointedSession(XenHost host) {
        return checkpointedSession(host, new CheckpointStore(SPAN));
    }

    /** A session whose checkpoint 1 (gfns 2 and 9, gfn 5 a hole) is committed to {@code store}. */
    private static SourceSession checkpointedSession(XenHost host, CheckpointStore store) {
        SourceSession s = new SourceSession("s1", host, DOM, SPAN, new SentPages(SPAN, new GfnBitmap(SPAN)),
                mock(PrePagingPolicy.class), LinkShaper.unshaped(), store, WireBytes.uncounted());
        ByteBuffer pages = ByteBuffer.allocate(2 * Gfn.PAGE_SIZE).put(page(0x22)).put(page(0x99)).flip();
        s.checkpoints.pages(1, new PageBatch(new long[] {2, 9}, 2, pages));
        GfnBitmap holes = new GfnBitmap(SPAN);
        holes.set(5);                                                // a page the guest gave back there
        s.checkpoints.commit(new Checkpoint(1, List.of(VCPU), holes, 2, 42));
        return s;
    }

    private static PeerConnector reachable(DestinationPeer peer) {
        PeerConnector peers = mock(PeerConnector.class);
        when(peers.destination(any(), anyString(), anyLong(), anyInt(), any())).thenReturn(peer);
        return peers;
    }

    @Test
    void aCopyLeftHalfRestoredIsRestoredAgainWholeAndResumedOnceByTheNextDaemon() throws Exception {
        SessionJournal journal = SessionJournal.in(dir);
        journal.write(entry());
        Host dying = new Host(DomainInfo.State.PAUSED);
        // The daemon dies after gfn 2 is restored and before gfn 9 is.
        doThrow(new IllegalStateException("the daemon dies here")).when(dying.memory).write(eq(DOM), eq(Gfn.of(9)),
                any());
        SourceSession session = checkpointedSession(dying.host);
        assertThrows(MigrationException.class, () -> new FailBack(dying.host, DOM, session,
                new Checkpointing(10, 100), false, new FailBackJournal(journal, entry())).run());
        verify(dying.domains, never()).resumeAfterFailedMigration(DOM);
        SessionJournal.Entry left = SessionJournal.in(dir).entries().get(0);
        assertEquals(SessionJournal.Stage.FAILING_BACK, left.stage());
        assertEquals(1, left.checkpointSeq());
        assertTrue(Files.exists(journal.checkpointFile("s1").orElseThrow()));

        Host next = new Host(DomainInfo.State.PAUSED);
        DestinationPeer destination = mock(DestinationPeer.class);
        PageServer pages = new PageServer(SessionJournal.in(dir));
        assertTrue(new InterruptedFailBack(next.host, pages, reachable(destination), SessionJournal.in(dir), left)
                .run());

        assertEquals(List.of(2L, 9L), List.copyOf(next.written.keySet()));
        assertArrayEquals(page(0x22), next.written.get(2L));
        assertArrayEquals(page(0x99), next.written.get(9L));
        InOrder order = inOrder(next.domains, next.memory);
        GfnBitmap released = new GfnBitmap(SPAN);
        released.set(5);
        order.verify(next.domains).decreaseReservation(DOM, released);
        order.verify(next.memory).write(eq(DOM), eq(Gfn.of(9)), any());
        order.verify(next.domains).setVcpuState(DOM, VCPU);
        order.verify(next.domains).resumeRestored(DOM);
        verify(next.domains, times(1)).resumeRestored(DOM);
        verify(destination).takenBack(any());
        assertEquals(List.of(), SessionJournal.in(dir).entries());
        assertFalse(Files.exists(journal.checkpointFile("s1").orElseThrow()), "the checkpoint goes with the entry");
        // A daemon restarted once more still tells a late destination, and never serves the copy.
        PeerException late = assertThrows(PeerException.class,
                () -> new PageServer(SessionJournal.in(dir)).fetch("s1", new long[0], 0));
        assertEquals(RemoteError.TAKEN_BACK, late.error());
        assertEquals(RemoteError.TAKEN_BACK, assertThrows(PeerException.class,
                () -> pages.fetch("s1", new long[] {3}, 1)).error());
    }

    /**
     * With the session's checkpoint log holding the checkpoint, the fail-back writes no second copy of it (it once
     * wrote the whole checkpoint again, 20–30 ms before the restore could start): the next daemon restores it from
     * the log, whole, even with a newer record in the log whose commit was refused.
     */
    @Test
    void aFailBackWhoseLogHoldsTheCheckpointWritesNoCopyAndTheNextDaemonRestoresFromTheLog() throws Exception {
        SessionJournal journal = SessionJournal.in(dir);
        journal.write(entry());
        Host dying = new Host(DomainInfo.State.PAUSED);
        doThrow(new IllegalStateException("the daemon dies here")).when(dying.memory).write(eq(DOM), eq(Gfn.of(9)),
                any());
        CheckpointStore store = new CheckpointStore(SPAN);
        Path log = journal.checkpointLog("s1").orElseThrow();
        store.keepIn(log);
        SourceSession session = checkpointedSession(dying.host, store);
        assertThrows(MigrationException.class, () -> new FailBack(dying.host, DOM, session,
                new Checkpointing(10, 100), false, new FailBackJournal(journal, entry())).run());
        SessionJournal.Entry left = SessionJournal.in(dir).entries().get(0);
        assertEquals(SessionJournal.Stage.FAILING_BACK, left.stage());
        assertEquals(1, left.checkpointSeq());
        assertFalse(Files.exists(journal.checkpointFile("s1").orElseThrow()), "the checkpoint was written again");
        store.close();
        // A record after checkpoint 1 whose commit was refused (its sync failed, and so did cutting it off).
        try (CheckpointLog l = CheckpointLog.recover(log, SPAN, new CheckpointLog.Replay() {
            @Override
            public void page(long seq, long gfn, ByteBuffer page) {
            }

            @Override
            public void commit(long seq, long guestOps, GfnBitmap unpopulated, List<VcpuState> vcpus, long n) {
            }
        })) {
            l.append(new CheckpointLog.Entry(2, 43, new GfnBitmap(SPAN), List.of(VCPU), 1,
                    write -> write.write(2, ByteBuffer.wrap(page(0x55)))));
        }

        Host next = new Host(DomainInfo.State.PAUSED);
        DestinationPeer destination = mock(DestinationPeer.class);
        assertTrue(new InterruptedFailBack(next.host, new PageServer(SessionJournal.in(dir)), reachable(destination),
                SessionJournal.in(dir), left).run());
        assertEquals(List.of(2L, 9L), List.copyOf(next.written.keySet()));
        assertArrayEquals(page(0x22), next.written.get(2L));
        assertArrayEquals(page(0x99), next.written.get(9L));
        GfnBitmap released = new GfnBitmap(SPAN);
        released.set(5);
        verify(next.domains).decreaseReservation(DOM, released);
        verify(next.domains).setVcpuState(DOM, VCPU);
        verify(next.domains, times(1)).resumeRestored(DOM);
        assertEquals(List.of(), SessionJournal.in(dir).entries());
        assertFalse(Files.exists(log), "the log goes with the entry");
    }

    /** A log that lost the checkpoint the entry names (damaged since) is refused: nothing restored, entry kept. */
    @Test
    void aLogThatNoLongerHoldsTheNamedCheckpointIsRefusedAndNothingIsRestored() throws Exception {
        SessionJournal journal = SessionJournal.in(dir);
        CheckpointStore store = new CheckpointStore(SPAN);
        Path log = journal.checkpointLog("s1").orElseThrow();
        store.keepIn(log);
        checkpointedSession(new Host(DomainInfo.State.PAUSED).host, store);
        store.close();
        assertCutShortIsRefused(journal, log);
    }

    @Test
    void aWholeRestoreIsNeverDoneAgainAndAGuestThatRunsIsNotResumedAgain() {
        SessionJournal journal = SessionJournal.in(dir);
        SessionJournal.Entry restored = entry().at(SessionJournal.Stage.RESTORED, 1);
        journal.write(restored);
        Host running = new Host(DomainInfo.State.RUNNING);
        assertTrue(new InterruptedFailBack(running.host, new PageServer(journal), reachable(mock(DestinationPeer.class)),
                journal, restored).run());
        verify(running.memory, never()).write(any(), any(), any());
        verify(running.domains, never()).setVcpuState(any(), any());
        verify(running.domains, never()).resumeAfterFailedMigration(any());
        assertEquals(List.of(), journal.entries());

        // The daemon died between RESTORED and the resume: resumed now, once, and not restored again.
        journal.write(restored);
        Host paused = new Host(DomainInfo.State.PAUSED);
        assertTrue(new InterruptedFailBack(paused.host, new PageServer(journal), reachable(mock(DestinationPeer.class)),
                journal, restored).run());
        verify(paused.memory, never()).write(any(), any(), any());
        verify(paused.domains, times(1)).resumeRestored(DOM);
    }

    @Test
    void aCopyThatRunsThoughItsRestoreNeverEndedIsLeftAloneAndTheEntryKept() {
        SessionJournal journal = SessionJournal.in(dir);
        SessionJournal.Entry failing = entry().at(SessionJournal.Stage.FAILING_BACK, 0);
        journal.write(failing);
        Host running = new Host(DomainInfo.State.RUNNING);
        assertFalse(new InterruptedFailBack(running.host, new PageServer(journal),
                reachable(mock(DestinationPeer.class)), journal, failing).run());
        verify(running.memory, never()).write(any(), any(), any());
        verify(running.domains, never()).resumeAfterFailedMigration(any());
        assertEquals(List.of(failing), journal.entries());
    }

    @Test
    void aCheckpointFileCutShortIsRefusedAndNothingIsRestoredFromIt() throws Exception {
        SessionJournal journal = SessionJournal.in(dir);
        SourceSession session = checkpointedSession(new Host(DomainInfo.State.PAUSED).host);
        CheckpointStore.Committed c = session.checkpoints.freeze().orElseThrow();
        Path file = journal.checkpointFile("s1").orElseThrow();
        CheckpointFile.write(file, c, session.checkpoints);
        assertEquals(1, CheckpointFile.read(file, 1).seq());
        assertCutShortIsRefused(journal, file);
    }

    /**
     * Cuts the last 100 bytes off {@code checkpoints} (inside checkpoint 1, the only one): a fail-back of checkpoint 1
     * from it is then refused, restores nothing and resumes nothing, and its entry stays.
     */
    private void assertCutShortIsRefused(SessionJournal journal, Path checkpoints) throws IOException {
        byte[] whole = Files.readAllBytes(checkpoints);
        Files.write(checkpoints, Arrays.copyOf(whole, whole.length - 100));
        SessionJournal.Entry failing = entry().at(SessionJournal.Stage.FAILING_BACK, 1);
        journal.write(failing);
        Host next = new Host(DomainInfo.State.PAUSED);
        assertFalse(new InterruptedFailBack(next.host, new PageServer(journal), reachable(mock(DestinationPeer.class)),
                journal, failing).run());
        verify(next.memory, never()).write(any(), any(), any());
        verify(next.domains, never()).resumeAfterFailedMigration(any());
        assertEquals(List.of(failing), journal.entries());
    }
}
