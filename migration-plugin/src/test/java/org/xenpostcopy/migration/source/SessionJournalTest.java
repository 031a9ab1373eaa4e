package org.xenpostcopy.migration.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The source's session journal: what a restarted daemon reads back is what was written, whole. */
class SessionJournalTest {
    @TempDir
    Path dir;

    private static SessionJournal.Entry entry(String id) {
        return new SessionJournal.Entry(id, 3, "dest", 7410, 262_144, "bubble", 64, 1000, 0, 5000, 600_000, 600_000,
                true, 1_048_576, false);
    }

    @Test
    void anEntryIsReadBackAsWrittenAndReplacedWhenTheGuestIsHandedOver() {
        SessionJournal j = SessionJournal.in(dir);
        j.write(entry("a1"));
        assertEquals(List.of(entry("a1")), j.entries());

        j.write(entry("a1").handedOverNow());
        List<SessionJournal.Entry> again = SessionJournal.in(dir).entries();
        assertEquals(1, again.size());
        assertTrue(again.get(0).handedOver());

        j.remove("a1");
        assertEquals(List.of(), j.entries());
    }

    @Test
    void anUnreadableEntryIsLeftAloneAndTheOthersAreRead() throws Exception {
        SessionJournal j = SessionJournal.in(dir);
        j.write(entry("good"));
        Files.writeString(dir.resolve("torn.session.json"), "{\"sessionId\": \"torn\", \"dom");
        assertEquals(List.of(entry("good")), j.entries());
        assertTrue(Files.exists(dir.resolve("torn.session.json")));
    }

    @Test
    void aSessionIdThatIsNotOneIsRefusedBeforeItNamesAFile() {
        SessionJournal j = SessionJournal.in(dir);
        assertThrows(IllegalArgumentException.class, () -> j.write(entry("../etc/passwd")));
    }

    @Test
    void withoutAJournalNothingIsWrittenOrRead() {
        SessionJournal none = SessionJournal.none();
        none.write(entry("a1"));
        assertEquals(List.of(), none.entries());
    }

    @Test
    void aFailBacksStageAndCheckpointAreReadBackAndAnOlderEntryReadsAsMigrating() throws Exception {
        SessionJournal j = SessionJournal.in(dir);
        j.write(entry("f1").handedOverNow().at(SessionJournal.Stage.FAILING_BACK, 7));
        SessionJournal.Entry back = SessionJournal.in(dir).entries().get(0);
        assertEquals(SessionJournal.Stage.FAILING_BACK, back.stage());
        assertEquals(7, back.checkpointSeq());
        assertTrue(back.handedOver());

        // An entry written before stages existed has neither field.
        Files.writeString(dir.resolve("f1.session.json"), "{\"sessionId\":\"f1\",\"domid\":3,\"destinationHost\":"
                + "\"dest\",\"destinationPort\":7410,\"gfnCount\":16,\"prepaging\":\"push\",\"batchPages\":64,"
                + "\"linkMbps\":0,\"linkLatencyMs\":0,\"stallMs\":5000,\"giveUpMs\":1,\"timeoutMs\":1,"
                + "\"verify\":true,\"restoreTargetKiB\":0,\"handedOver\":true}");
        assertEquals(SessionJournal.Stage.MIGRATING, SessionJournal.in(dir).entries().get(0).stage());
        assertFalse(SessionJournal.in(dir).entries().get(0).checkpointing().enabled(),
                "an entry written before checkpoints were journaled has none");
    }

    @Test
    void aSessionsCheckpointsAreJournaledAndItsCheckpointLogGoesWithItsEntry() throws Exception {
        SessionJournal j = SessionJournal.in(dir);
        j.write(entry("c1").checkpointed(new org.xenpostcopy.migration.Checkpointing(200, 1500)));
        assertEquals(new org.xenpostcopy.migration.Checkpointing(200, 1500),
                SessionJournal.in(dir).entries().get(0).checkpointing());
        CheckpointStore store = new CheckpointStore(16);
        store.keepIn(j.checkpointLog("c1").orElseThrow());
        assertTrue(Files.exists(dir.resolve("c1.checkpoints")));
        store.close();
        j.remove("c1");
        assertFalse(Files.exists(dir.resolve("c1.checkpoints")));
        assertEquals(List.of(), j.entries());
    }

    /**
     * A daemon that died between making a session's checkpoint log and writing its entry left the log; a restarted
     * one removes it as it resumes its journal (it used to stay for ever), and the temporary and fail-back files of
     * such sessions with it. Never a file of a session with an entry — readable or not — nor of one this daemon is
     * starting (its log is made before its entry).
     */
    @Test
    void aRestartedDaemonRemovesTheCheckpointFilesNoEntryNamesAndNoOthers() throws Exception {
        SessionJournal old = SessionJournal.in(dir);
        old.write(entry("live"));
        for (String id : new String[] {"live", "orphan", "unreadable", "starting", "settled"}) {
            CheckpointStore store = new CheckpointStore(16);
            store.keepIn(old.checkpointLog(id).orElseThrow());
            store.close();
        }
        Files.writeString(dir.resolve("unreadable.session.json"), "{\"sessionId\": \"unrea");
        Files.writeString(dir.resolve("orphan.checkpoints.compacting"), "a compaction cut short");
        Files.writeString(dir.resolve("orphan.checkpoint"), "a fail-back copy");
        Files.writeString(dir.resolve("gone.checkpoints.tmp"), "a log being made");
        Files.writeString(dir.resolve("live.checkpoints.compacting"), "a compaction cut short");
        Files.writeString(dir.resolve("not a session.checkpoints"), "not ours");
        old.writeSettled(new SessionJournal.Settled("settled", true, "taken back", Long.MAX_VALUE));

        SessionJournal restarted = SessionJournal.in(dir);
        restarted.checkpointLog("starting");         // a migration of this daemon, before its entry is written
        List<Path> removed = restarted.removeOrphanedCheckpoints();

        assertEquals(5, removed.size(), removed.toString());
        for (String kept : new String[] {"live.checkpoints", "live.checkpoints.compacting", "unreadable.checkpoints",
                "starting.checkpoints", "not a session.checkpoints", "settled.settled.json"}) {
            assertTrue(Files.exists(dir.resolve(kept)), kept + " was removed");
        }
        for (String gone : new String[] {"orphan.checkpoints", "orphan.checkpoints.compacting",
                "orphan.checkpoint", "gone.checkpoints.tmp", "settled.checkpoints"}) {
            assertFalse(Files.exists(dir.resolve(gone)), gone + " is left");
        }
    }

    /** A restarted daemon removes them as it resumes its journal, before any migration of its own. */
    @Test
    void theOrphanedCheckpointLogsGoAsTheJournalIsResumed() throws Exception {
        CheckpointStore store = new CheckpointStore(16);
        store.keepIn(SessionJournal.in(dir).checkpointLog("orphan").orElseThrow());
        store.close();
        SessionJournal restarted = SessionJournal.in(dir);
        OutgoingMigrations outgoing = new OutgoingMigrations(
                org.mockito.Mockito.mock(org.xenpostcopy.xen.XenHost.class),
                new PageServer(restarted), org.mockito.Mockito.mock(org.xenpostcopy.migration.peer.PeerConnector.class),
                () -> new java.net.InetSocketAddress("127.0.0.1", 1), java.util.Optional.empty(), restarted);
        assertEquals(0, outgoing.resumeJournaled());
        assertFalse(Files.exists(dir.resolve("orphan.checkpoints")));
    }

    @Test
    void settledSessionsOutliveTheDaemonUntilTheirTimeIsUpAndAreNoEntries() {
        long[] now = {1_000_000};
        SettledSessions first = new SettledSessions(SessionJournal.in(dir), () -> now[0]);
        first.takenBack("t1", "restored from checkpoint 3");
        first.released("r1");
        assertEquals(List.of(), SessionJournal.in(dir).entries(), "settled sessions are not sessions to finish");

        SettledSessions restarted = new SettledSessions(SessionJournal.in(dir), () -> now[0]);
        assertEquals(java.util.Optional.of("restored from checkpoint 3"), restarted.whyTakenBack("t1"));
        assertTrue(restarted.isReleased("r1"));
        assertEquals(java.util.Optional.empty(), restarted.whyTakenBack("r1"));

        now[0] += SettledSessions.KEPT.toMillis();
        SettledSessions later = new SettledSessions(SessionJournal.in(dir), () -> now[0]);
        assertEquals(java.util.Optional.empty(), later.whyTakenBack("t1"));
        assertEquals(List.of(), SessionJournal.in(dir).settled(), "forgotten on disk too");
    }
}
