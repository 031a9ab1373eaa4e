package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xenpostcopy.balloon.BalloonPolicy;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.daemon.HostAgent;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.migration.source.SessionJournal;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;

/**
 * The source daemon dies mid post-copy after the destination has committed reverse checkpoints, and while it is down
 * the destination drops off the network for good (issue 14, item 4). The new daemon, on the same host, port and
 * journal, must come back with the newest checkpoint the old one committed — from disk — and, once the destination's
 * lease has run out, fail the guest back from it: not from the switch, which would lose everything the guest did
 * since. The oracle must find the guest whole; the destination's copy must stand paused, and be destroyed once the
 * destination can hear the source again: one guest, never two, never none.
 *
 * <p>In one process, as a real restart: the source's domains live in a state directory (they outlive the daemon);
 * the old daemon's host is detached and re-attached, and the new daemon listens on the old one's port, behind the
 * same link. The journal entry and checkpoint log are copied aside the moment the old daemon dies, because its
 * thread, failing afterwards, removes its own entry — a dead process would not.
 */
class SourceRestartKeepsCheckpointsTest {
    private static final int STALL_MS = 500;
    private static final int LEASE_MS = 1500;
    /** Commits to wait for before the old daemon dies: the new one must merge several. */
    private static final int COMMITS = 3;
    /** The source's note of a commit kept on disk (for the cost printed). */
    private static final Pattern PERSISTED = Pattern.compile(
            "checkpoint ([0-9,]+): ([0-9,]+) pages kept on disk in ([0-9.]+) ms \\(the sync ([0-9.]+) ms\\)");
    /** The destination's note of a checkpoint the source acknowledged: from then on it sends only what changed since. */
    private static final Pattern ACKNOWLEDGED = Pattern.compile("checkpoint ([0-9,]+): ([0-9,]+) pages, taken in");
    private static final Pattern RESTORED = Pattern.compile("restored from checkpoint ([0-9,]+)");

    @TempDir
    Path state;
    @TempDir
    Path oldJournal;
    @TempDir
    Path newJournal;

    /** Log lines of one logger, formatted. */
    private static final class Lines extends Handler {
        final List<String> lines = new CopyOnWriteArrayList<>();

        @Override
        public void publish(LogRecord r) {
            String m = r.getMessage() == null ? "" : r.getMessage();
            Object[] p = r.getParameters();
            if (p != null) {
                m = java.text.MessageFormat.format(m.replace("'", "''"), p);
            }
            lines.add(m);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }

        /** Per match: seq, pages, and for the source's note microseconds in all and in the sync. */
        List<long[]> matching(Pattern p) {
            return matching(lines, p);
        }

        static List<long[]> matching(List<String> lines, Pattern p) {
            List<long[]> out = new ArrayList<>();
            for (String l : lines) {
                Matcher m = p.matcher(l);
                if (m.find()) {
                    out.add(new long[] {number(m.group(1)), number(m.group(2)),
                            m.groupCount() > 2 ? Math.round(Double.parseDouble(m.group(3)) * 1000) : 0,
                            m.groupCount() > 3 ? Math.round(Double.parseDouble(m.group(4)) * 1000) : 0});
                }
            }
            return out;
        }

        private static long number(String s) {
            return Long.parseLong(s.replace(",", ""));
        }
    }

    /**
     * Two hosts, the old source daemon migrating a guest with checkpoints through a link, and what a test needs to
     * kill that daemon and start the next one on the same host, port and journal.
     */
    private final class Restart implements AutoCloseable {
        final Logger storeLog = Logger.getLogger("org.xenpostcopy.migration.source.CheckpointStore");
        final Logger resumedLog = Logger.getLogger("org.xenpostcopy.migration.source.ResumedMigration");
        final Logger checkpointerLog = Logger.getLogger("org.xenpostcopy.migration.destination.Checkpointer");
        final Level storeLevel = storeLog.getLevel();
        final Level checkpointerLevel = checkpointerLog.getLevel();
        final Lines kept = new Lines();
        final Lines resumed = new Lines();
        final Lines taken = new Lines();
        final EmulatedXenHost sourceHost;
        final EmulatedXenHost destinationHost = new EmulatedXenHost("destination");
        final HostAgent destination;
        final HostAgent oldSource;
        /** The network between the hosts; struck by hand. */
        final FaultyLink link = new FaultyLink(FaultyLink.Fault.BLACKHOLE, FaultyLink.Target.ALL, Long.MAX_VALUE,
                600_000);
        final InetSocketAddress sourceThroughLink;
        HostAgent newSource;
        EmulatedXenHost reattached;
        CompletableFuture<MigrationReport> old;
        DomainId there;

        Restart() throws Exception {
            storeLog.setLevel(Level.FINE);
            storeLog.addHandler(kept);
            resumedLog.addHandler(resumed);
            checkpointerLog.setLevel(Level.FINE);
            checkpointerLog.addHandler(taken);
            sourceHost = EmulatedXenHost.persistent("source", state);
            destination = new HostAgent(destinationHost, new InetSocketAddress("127.0.0.1", 0));
            oldSource = new HostAgent(sourceHost, new InetSocketAddress("127.0.0.1", 0), BalloonPolicy.defaults(), "",
                    ChannelSecurity.plain(), SessionJournal.in(oldJournal));
            sourceThroughLink = link.toSource(oldSource.address());
            oldSource.advertiseAs(sourceThroughLink);
        }

        /** Boots the guest, migrates it and waits for {@link #COMMITS} checkpoints the source acknowledged. */
        void migrateUntilCheckpointed(long seed) throws Exception {
            InetSocketAddress destinationThroughLink = link.toDestination(destination.address());
            DomainId d = sourceHost.domains().create(DomainConfig.ofMiB("vm", 64, "stress-write:4M", seed), true);
            sourceHost.domains().unpause(d);
            Await.until(() -> sourceHost.guestOps(d) >= 200, Duration.ofMinutes(2), () -> "the guest to warm up");
            // 20 Mbit/s: post-copy takes half a minute, so checkpoints are committed well before it ends.
            MigrationOptions options = MigrationOptions.defaults().withLink(20, 0).withBaselineMs(0)
                    .withRecovery(STALL_MS, 60_000).withCheckpointing(new Checkpointing(200, LEASE_MS));
            CompletableFuture<MigrationReport> migration = CompletableFuture.supplyAsync(
                    () -> oldSource.migrate(d, destinationThroughLink, options, MigrationProgress.NONE));
            old = migration;
            Await.until(() -> taken.matching(ACKNOWLEDGED).size() >= COMMITS || migration.isDone(),
                    Duration.ofSeconds(90), () -> COMMITS + " checkpoints to be committed ("
                            + taken.matching(ACKNOWLEDGED).size() + " so far)");
            assertTrue(!migration.isDone(), "the migration ended before " + COMMITS + " checkpoints");
            there = destinationHost.domains().lookup("vm").orElseThrow();
        }

        /**
         * The old daemon dies, its host's domains outliving it; returns the newest checkpoint the destination saw
         * acknowledged by then: every one up to it must be on disk (a later one may be too).
         */
        long oldDaemonDies() throws Exception {
            long newest = taken.matching(ACKNOWLEDGED).stream().mapToLong(p -> p[0]).max().orElseThrow();
            // The journal as the kill leaves it: copied while the old daemon still runs (a record it is appending may
            // be cut, as a SIGKILL cuts it), and before close() - which does not stop the old migration's thread,
            // whose own cleanup would otherwise race the copy.
            copyJournal(oldJournal, newJournal);
            oldSource.close();
            sourceHost.close();
            return newest;
        }

        /** A new daemon on the re-attached host, the old one's port and the journal it left; returns the guest. */
        DomainId newDaemonStarts() {
            int port = oldSource.address().getPort();
            reattached = EmulatedXenHost.persistent("source", state);
            DomainId again = reattached.domains().lookup("vm").orElseThrow();
            assertEquals(DomainInfo.State.PAUSED, reattached.domains().info(again).state(), "re-attached paused");
            newSource = new HostAgent(reattached, new InetSocketAddress("127.0.0.1", port), BalloonPolicy.defaults(),
                    "", ChannelSecurity.plain(), SessionJournal.in(newJournal));
            newSource.advertiseAs(sourceThroughLink);
            return again;
        }

        void assertJournalEmpty() throws Exception {
            Await.until(() -> SessionJournal.in(newJournal).entries().isEmpty(), Duration.ofSeconds(30),
                    () -> "the journal entry to go");
            try (Stream<Path> left = Files.list(newJournal)) {
                assertEquals(List.of(), left.filter(p -> !p.toString().endsWith(".settled.json")).toList(),
                        "the session's journal files must go when it settles");
            }
        }

        @Override
        public void close() throws Exception {
            storeLog.removeHandler(kept);
            storeLog.setLevel(storeLevel);
            resumedLog.removeHandler(resumed);
            checkpointerLog.removeHandler(taken);
            checkpointerLog.setLevel(checkpointerLevel);
            if (newSource != null) {
                newSource.close();
            }
            link.close();
            oldSource.close();
            if (old != null) {
                old.handle((r, e) -> null).get(60, TimeUnit.SECONDS);   // the old migration fails; it touches nothing
            }
            destination.close();
            if (reattached != null) {
                reattached.close();
            }
            sourceHost.close();
            destinationHost.close();
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {31, 32})
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void theNewDaemonFailsBackFromTheNewestCheckpointTheOldOneKept(long seed) throws Exception {
        try (Restart r = new Restart()) {
            r.migrateUntilCheckpointed(seed);
            // The destination drops off the network for good, and the source daemon dies.
            r.link.strikeNow();
            long newestKept = r.oldDaemonDies();
            DomainId again = r.newDaemonStarts();
            EmulatedXenHost host = r.reattached;

            Await.until(() -> host.domains().info(again).state() == DomainInfo.State.RUNNING, Duration.ofSeconds(90),
                    () -> "the new daemon to fail the guest back");
            r.assertJournalEmpty();
            String restore = r.resumed.lines.stream().filter(l -> l.contains("runs here again")).findFirst()
                    .orElseThrow(() -> new AssertionError("no fail-back logged: " + r.resumed.lines));
            Matcher m = RESTORED.matcher(restore);
            assertTrue(m.find(), "the guest came back as it was at the switch, not from a checkpoint: " + restore);
            long seq = Long.parseLong(m.group(1).replace(",", ""));
            assertTrue(seq >= newestKept, "restored from checkpoint " + seq + ", older than " + newestKept
                    + ", which the old daemon had acknowledged");
            GuestProbe.Verification v = host.guestProbe().orElseThrow().verify(again);
            assertTrue(v.clean(), String.join("; ", v.problems()));
            assertEquals(DomainInfo.State.PAUSED, r.destinationHost.domains().info(r.there).state(),
                    "the destination's copy must be held paused by its lease");
            List<long[]> p = r.kept.matching(PERSISTED);
            System.out.printf(Locale.ROOT, "CKPT-RESTART seed=%d commitsKeptByOldDaemon=%d newestAcknowledged=%d"
                            + " restoredSeq=%d pagesPerCommit=%.0f msPerCommit=%.2f syncMsPerCommit=%.2f maxMs=%.2f%n",
                    seed, p.size(), newestKept, seq, p.stream().mapToLong(x -> x[1]).average().orElse(0),
                    p.stream().mapToLong(x -> x[2]).average().orElse(0) / 1000,
                    p.stream().mapToLong(x -> x[3]).average().orElse(0) / 1000,
                    p.stream().mapToLong(x -> x[2]).max().orElse(0) / 1000.0);

            // The link heals: the destination's pings reach the new daemon, which says the guest was taken back.
            r.link.heal();
            Await.until(() -> r.destinationHost.domains().lookup("vm").isEmpty(), Duration.ofSeconds(60),
                    () -> "the destination to destroy the copy the source took back");
            long ops = host.guestOps(again);
            Await.until(() -> host.guestOps(again) > ops, Duration.ofSeconds(30), () -> "the guest to run here");
        }
    }

    /**
     * The same restart with the destination alive: the new daemon reconnects and the destination's next
     * checkpoints, which only carry what changed since the last one acknowledged, build on the one recovered from
     * disk; the post-copy ends verified, the copy here destroyed, the journal's files gone.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {33})
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void theNewDaemonTakesTheCheckpointsOnFromTheOnesTheOldOneKept(long seed) throws Exception {
        try (Restart r = new Restart()) {
            r.migrateUntilCheckpointed(seed);
            long newestKept = r.oldDaemonDies();
            int keptBefore = r.kept.lines.size();
            r.newDaemonStarts();

            Await.until(() -> r.reattached.domains().lookup("vm").isEmpty(), Duration.ofMinutes(2),
                    () -> "the new daemon to finish the migration and destroy the source's copy");
            r.assertJournalEmpty();
            DomainId atDestination = r.destinationHost.domains().lookup("vm").orElseThrow();
            assertEquals(DomainInfo.State.RUNNING, r.destinationHost.domains().info(atDestination).state());
            GuestProbe.Verification v = r.destinationHost.guestProbe().orElseThrow().verify(atDestination);
            assertTrue(v.clean(), String.join("; ", v.problems()));
            assertTrue(r.resumed.lines.stream().noneMatch(l -> l.contains("runs here again")), "no fail-back");
            List<String> recovered = r.kept.lines.stream().filter(l -> l.contains("recovered from its log")).toList();
            assertEquals(1, recovered.size(), "the new daemon recovers the old one's checkpoints: " + r.kept.lines);
            List<long[]> after = Lines.matching(r.kept.lines.subList(keptBefore, r.kept.lines.size()), PERSISTED);
            assertTrue(after.stream().anyMatch(c -> c[0] > newestKept), "no checkpoint after " + newestKept
                    + " was committed to the new daemon: " + r.kept.lines);
        }
    }

    /** What the old daemon left in its journal, as a dead process would leave it. */
    private static void copyJournal(Path from, Path to) throws Exception {
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                try {
                    Files.copy(f, to.resolve(f.getFileName()));
                } catch (java.nio.file.NoSuchFileException renamedMeanwhile) {
                    // a temporary file the running daemon renamed into place: its target is listed too
                }
            }
        }
    }
}
