package org.xenpostcopy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.xen.Await;

/**
 * SIGKILL of the destination daemon in the middle of a post-copy, with the defaults an administrator gets
 * (checkpoints every second, a 5 s stall limit and lease): the guest comes back to the source from the last
 * checkpoint and checks clean there, and the destination's daemon, started again on its state directory, keeps its
 * copy paused instead of running a second guest.
 */
class DestinationKillTest {
    private static final Map<String, String> ENV = Map.of("XLPC_TOKEN", "kill-token");
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path sourceState;
    @TempDir
    Path destinationState;
    @TempDir
    Path out;

    private static XlpcProcess.Result xlpc(XlpcProcess.Daemon daemon, String... args) throws Exception {
        return XlpcProcess.against(ENV, daemon.address, args);
    }

    /** The source's {@code xlpc migrate}, running, and when the destination's daemon was SIGKILLed. */
    private record KilledMidPostCopy(Process migrate, Path said, long killedAt) {
        /** Waits for {@code xlpc migrate} to end with the guest back on the source; returns what it said. */
        String guestBackOnTheSource(XlpcProcess.Daemon source) throws Exception {
            assertTrue(migrate.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS),
                    () -> "xlpc migrate did not return: " + source.log());
            double backAfterMs = (System.nanoTime() - killedAt) / 1e6;
            String text = Files.readString(said);
            System.out.printf(Locale.ROOT, "DEST-KILL back on the source %.0f ms after the SIGKILL: %s%n", backAfterMs,
                    text.trim());
            assertEquals(1, migrate.exitValue(), text);
            assertTrue(text.contains("runs here again, restored from checkpoint"), text);
            assertTrue(text.contains("memory checked clean"), text);
            assertTrue(xlpc(source, "list").out().matches("(?s).*vm +\\d+ +128 +2 running .*"),
                    "the guest runs on the source");
            return text;
        }
    }

    /**
     * Starts a post-copy from {@code source} to {@code destination} and SIGKILLs the latter once a checkpoint is in;
     * {@code flags} go to {@code xlpc migrate}.
     */
    private KilledMidPostCopy killDestinationMidPostCopy(XlpcProcess.Daemon source, XlpcProcess.Daemon destination,
                                                         String... flags) throws Exception {
        Path said = out.resolve("migrate.txt");
        try {
            assertEquals(0, xlpc(source, "create", "vm", "--memory", "128", "--workload", "stress-write:8M").exit());
            // 128 MiB at 40 Mbit/s: half a minute of post-copy, so the kill lands well inside it
            List<String> args = new ArrayList<>(List.of("--daemon", source.address,
                    "migrate", "--postcopy", "--link-mbps", "40", "--baseline-ms", "0"));
            args.addAll(List.of(flags));
            args.addAll(List.of("vm", destination.address));
            Process migrate = XlpcProcess.builder(ENV, args.toArray(new String[0]))
                    .redirectErrorStream(true).redirectOutput(said.toFile()).start();
            Await.until(() -> JournalFiles.anySays(sourceState, "\"handedOver\":true"), WAIT,
                    () -> "the guest to run at the destination: " + source.log());
            Await.until(() -> source.log().contains("first checkpoint committed"), WAIT, source::log);
            return new KilledMidPostCopy(migrate, said, System.nanoTime());
        } finally {
            String command = destination.process.info().command().orElse("");
            assertTrue(command.endsWith("/java"), "SIGKILL goes to the daemon's JVM: " + command);
            destination.kill();
        }
    }

    @Test
    void theGuestRunsOnTheSourceAgainAndTheRestartedDestinationKeepsItsCopyPaused() throws Exception {
        try (XlpcProcess.Daemon source = new XlpcProcess.Daemon("alpha", ENV, "--state-dir", sourceState.toString())) {
            XlpcProcess.Daemon destination = new XlpcProcess.Daemon("beta", ENV, "--state-dir",
                    destinationState.toString());
            killDestinationMidPostCopy(source, destination).guestBackOnTheSource(source);

            try (XlpcProcess.Daemon restarted = new XlpcProcess.Daemon("beta", ENV, "--state-dir",
                    destinationState.toString())) {
                Await.until(() -> restarted.log().contains("re-attached vm"), WAIT, restarted::log);
                String list = xlpc(restarted, "list").out();
                assertTrue(!list.matches("(?s).*vm +\\d+ +128 +2 running .*"), "the old copy must not run: " + list);
                // Its lease journal names the session: the restarted daemon held the copy and asks the source, which
                // answers that it took the guest back; the stale copy goes.
                Await.until(() -> !listed(restarted).contains("vm "), WAIT, restarted::log);
                assertTrue(restarted.log().contains("was taken back by its source"), restarted.log());
            }
        }
    }

    /**
     * The destination's daemon back at its address before the lease runs out (run 21 of the real-Xen lab): the
     * source reconnects, hears the session is unknown there, and must not give up with its copy paused while the
     * restarted daemon holds the other one paused for it — both hosts would hold the guest stopped for good. A
     * restarted daemon keeps its leases, not its sessions, so the source waits the lease out and takes the guest back.
     */
    @Test
    void aDestinationRestartedWithinTheLeaseStillGivesTheGuestBackToTheSource() throws Exception {
        try (XlpcProcess.Daemon source = new XlpcProcess.Daemon("alpha", ENV, "--state-dir", sourceState.toString())) {
            XlpcProcess.Daemon destination = new XlpcProcess.Daemon("beta", ENV, "--state-dir",
                    destinationState.toString());
            // A lease of 20 s, not the default 5: the restarted JVM must be listening before it runs out, even on
            // a loaded machine, or the source fails back without ever hearing "session unknown".
            KilledMidPostCopy killed = killDestinationMidPostCopy(source, destination, "--fail-back-ms", "20000");
            try (XlpcProcess.Daemon restarted = new XlpcProcess.Daemon("beta", ENV, "--state-dir",
                    destinationState.toString(), "--listen", destination.address)) {
                Await.until(() -> source.log().contains("session unknown at the destination"), WAIT, source::log);
                String said = killed.guestBackOnTheSource(source);
                assertTrue(!said.contains("stays paused here"), said);
                Await.until(() -> !listed(restarted).contains("vm "), WAIT, restarted::log);
                assertTrue(restarted.log().contains("was taken back by its source"), restarted.log());
            }
        }
    }

    private String listed(XlpcProcess.Daemon daemon) {
        try {
            return xlpc(daemon, "list").out();
        } catch (Exception e) {
            throw new IllegalStateException("xlpc list failed", e);
        }
    }
}
