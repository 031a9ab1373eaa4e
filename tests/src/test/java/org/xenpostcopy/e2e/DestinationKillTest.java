package org.xenpostcopy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

    @Test
    void theGuestRunsOnTheSourceAgainAndTheRestartedDestinationKeepsItsCopyPaused() throws Exception {
        try (XlpcProcess.Daemon source = new XlpcProcess.Daemon("alpha", ENV, "--state-dir", sourceState.toString())) {
            XlpcProcess.Daemon destination = new XlpcProcess.Daemon("beta", ENV, "--state-dir",
                    destinationState.toString());
            Path migrateOut = out.resolve("migrate.txt");
            Process migrate;
            long killedAt;
            try {
                assertEquals(0, xlpc(source, "create", "vm", "--memory", "128", "--workload", "stress-write:8M").exit());
                // 128 MiB at 40 Mbit/s: half a minute of post-copy, so the kill lands well inside it
                migrate = XlpcProcess.builder(ENV, "--daemon", source.address, "migrate", "--postcopy", "--link-mbps",
                        "40", "--baseline-ms", "0", "vm", destination.address)
                        .redirectErrorStream(true).redirectOutput(migrateOut.toFile()).start();
                Await.until(() -> JournalFiles.anySays(sourceState, "\"handedOver\":true"), WAIT,
                        () -> "the guest to run at the destination: " + source.log());
                Await.until(() -> source.log().contains("first checkpoint committed"), WAIT, source::log);
            } finally {
                String command = destination.process.info().command().orElse("");
                assertTrue(command.endsWith("/java"), "SIGKILL goes to the daemon's JVM: " + command);
                killedAt = System.nanoTime();
                destination.kill();
            }
            assertTrue(migrate.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "xlpc migrate did not return");
            double backAfterMs = (System.nanoTime() - killedAt) / 1e6;
            String said = Files.readString(migrateOut);
            System.out.printf(Locale.ROOT, "DEST-KILL back on the source %.0f ms after the SIGKILL: %s%n", backAfterMs,
                    said.trim());
            assertEquals(1, migrate.exitValue(), said);
            assertTrue(said.contains("runs here again, restored from checkpoint"), said);
            assertTrue(said.contains("memory checked clean"), said);
            assertTrue(xlpc(source, "list").out().matches("(?s).*vm +\\d+ +128 +2 running .*"),
                    "the guest runs on the source");

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

    private String listed(XlpcProcess.Daemon daemon) {
        try {
            return xlpc(daemon, "list").out();
        } catch (Exception e) {
            throw new IllegalStateException("xlpc list failed", e);
        }
    }
}
