package org.xenpostcopy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;
import org.xenpostcopy.xen.emulated.guest.GuestOracle;

/**
 * The guest outlives the daemon, as a Xen domain outlives its toolstack: {@code xlpc daemon} JVMs killed with
 * SIGKILL, a new daemon on the same state directory re-attaching the domain (checked by the guest oracle) and
 * finishing a migration the old one left mid post-copy.
 */
class DaemonRestartTest {
    private static final Map<String, String> ENV = Map.of("XLPC_TOKEN", "restart-token");
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path stateDir;

    private static XlpcProcess.Result xlpc(XlpcProcess.Daemon daemon, String... args) throws Exception {
        return XlpcProcess.against(ENV, daemon.address, args);
    }

    private XlpcProcess.Daemon daemon() throws Exception {
        return new XlpcProcess.Daemon("alpha", ENV, "--state-dir", stateDir.toString());
    }

    private static void killJvm(XlpcProcess.Daemon d) throws InterruptedException {
        String command = d.process.info().command().orElse("");
        assertTrue(command.endsWith("/java"), "SIGKILL goes to the daemon's JVM itself, not a wrapper: " + command);
        d.kill();
    }

    private String record() {
        try {
            return Files.readString(stateDir.resolve("domains").resolve("1").resolve("domain.properties"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Opens the state directory in this JVM, once no daemon holds it, and runs the oracle on the paused domain. */
    private DomainInfo verifyOffline(boolean pauseFirst) {
        try (EmulatedXenHost h = EmulatedXenHost.persistent("check", stateDir)) {
            DomainId d = h.domains().lookup("vm").orElseThrow();
            DomainInfo info = h.domains().info(d);
            if (pauseFirst) {
                h.domains().pause(d);
            }
            GuestOracle.Verdict v = GuestOracle.verify(h.memory(), d, h.domains().vcpuStates(d));
            assertTrue(v.clean(), v.problems().toString());
            assertTrue(v.pagesChecked() > 16_000, "every page checked: " + v.pagesChecked());
            assertTrue(h.guestOps(d) > 0, "the guest had run");
            h.domains().destroy(d);
            return info;
        }
    }

    @Test
    void aRunningGuestSurvivesSigkillOfItsDaemonAndRunsOnUnderTheNext() throws Exception {
        XlpcProcess.Daemon first = daemon();
        try {
            XlpcProcess.Result created = xlpc(first, "create", "vm", "--memory", "64", "--workload",
                    "kernel-compile@0");
            assertEquals(0, created.exit(), created.err());
            // a started CLI JVM later the guest has run thousands of operations: the kill lands in the middle of one
            assertTrue(xlpc(first, "list").out().contains("running"));
            XlpcProcess.Result twin = XlpcProcess.run(ENV, "daemon", "--listen", "127.0.0.1:0", "--state-dir",
                    stateDir.toString());
            assertEquals(1, twin.exit());
            assertEquals("xlpc: state directory " + stateDir + " is in use by another emulated host (pid "
                    + first.process.pid() + "); give each daemon its own --state-dir", twin.err().trim());
        } finally {
            killJvm(first);
        }
        try (XlpcProcess.Daemon second = daemon()) {
            Await.until(() -> second.log().contains("re-attached vm (dom1, running, 64 MiB)"), WAIT, second::log);
            XlpcProcess.Result list = xlpc(second, "list");
            assertTrue(list.out().matches("(?s).*vm +1 +64 +2 running +kernel-compile@0.*"), list.out());
        }
        DomainInfo info = verifyOffline(true);
        assertEquals(DomainInfo.State.RUNNING, info.state(), "a SIGTERM detaches a running domain running");
    }

    /**
     * SIGKILL of the source daemon mid post-copy: the guest already runs at the destination and the source's paused
     * copy holds the pages not yet sent. The next daemon re-attaches that copy, reads the session journal and
     * finishes the migration: the destination gets every page it missed, the guest checks clean there, and the
     * source's copy goes.
     */
    @Test
    void aSourceKilledDuringPostCopyIsFinishedByTheNextDaemon() throws Exception {
        try (XlpcProcess.Daemon destination = new XlpcProcess.Daemon("beta", ENV)) {
            XlpcProcess.Daemon source = daemon();
            Process migrate;
            try {
                assertEquals(0, xlpc(source, "create", "vm", "--memory", "64", "--workload", "stress-write:16M").exit());
                // a slow link keeps the post-copy going for seconds after the switch paused the source copy
                migrate = XlpcProcess.builder(ENV, "--daemon", source.address, "migrate", "--postcopy", "--link-mbps",
                        "40", "--baseline-ms", "0", "--stall-ms", "1000", "vm", destination.address)
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                Await.until(() -> JournalFiles.anySays(stateDir, "\"handedOver\":true"), WAIT,
                        () -> "the guest to run at the destination: " + source.log());
            } finally {
                killJvm(source);
            }
            migrate.destroyForcibly();
            migrate.waitFor();
            try (XlpcProcess.Daemon restarted = daemon()) {
                Await.until(() -> restarted.log().contains("re-attached vm (dom1, paused, 64 MiB)"), WAIT,
                        restarted::log);
                Await.until(() -> restarted.log().contains("finished after the daemon restarted"), WAIT,
                        restarted::log);
                assertTrue(restarted.log().contains(", verified"), restarted.log());
                assertFalse(xlpc(restarted, "list").out().contains("vm "), "the source's copy is gone");
                assertTrue(xlpc(destination, "list").out().matches("(?s).*vm +\\d+ +64 +2 running .*"),
                        "the guest runs at the destination");
                Await.until(() -> !JournalFiles.anySays(stateDir, "sessionId"), WAIT, () -> "the journal entry to go");
            }
        }
    }
}
