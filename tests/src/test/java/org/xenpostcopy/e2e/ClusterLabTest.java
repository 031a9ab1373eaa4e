package org.xenpostcopy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The cluster lab ({@code tests/cluster/run.sh}): separate {@code xlpc daemon} processes in network namespaces,
 * over veth pairs, a bridge and tc-shaped links, with TLS. Each test asks what a user would: does the scenario pass,
 * and is everything gone afterwards — after a normal end, after Ctrl-C, and (with {@code --down}) after the script
 * itself was killed. Skipped where the lab cannot run (not root, no {@code ip netns}).
 */
@Tag("slow")
class ClusterLabTest {
    private static final Path SCRIPT = Path.of("cluster", "run.sh").toAbsolutePath();
    private static final AtomicInteger RUNS = new AtomicInteger();
    private static final Pattern DAEMON_PID = Pattern.compile(" pid (\\d+) ");

    private String runId;
    private Set<String> rootLinksBefore;

    @BeforeAll
    static void theLabCanRunHere() throws Exception {
        assertTrue(Files.isExecutable(SCRIPT), SCRIPT + " is missing or not executable");
        Finished check = run(List.of(SCRIPT.toString(), "--check"), 60);
        assumeTrue(check.exit() != 3, () -> "cluster lab skipped: " + check.out().trim());
        assertEquals(0, check.exit(), check.out());
    }

    @BeforeEach
    void name() throws Exception {
        runId = "jt" + ProcessHandle.current().pid() + "x" + RUNS.incrementAndGet();
        rootLinksBefore = rootLinks();
    }

    @AfterEach
    void removeWhateverIsLeft() throws Exception {
        run(List.of(SCRIPT.toString(), "--down", runId), 120);   // a no-op when the test passed
    }

    @Test
    void threeHostScenarioMigratesPostCopyThenPreCopyVerifiedAndLeavesNothingBehind() throws Exception {
        Finished r = run(List.of(SCRIPT.toString(), "--hosts", "3", "--scenario", "--run-id", runId), 600);
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("SCENARIO: PASS"), r.out());
        assertTrue(Pattern.compile("SCENARIO postcopy h1->h2: verified=true .*mismatchedPages=0").matcher(r.out()).find(), r.out());
        assertTrue(Pattern.compile("SCENARIO precopy h2->h3: verified=true .*mismatchedPages=0").matcher(r.out()).find(), r.out());
        assertNothingLeft(daemonPids(r.out()));
    }

    @Test
    void eightGuestsMigrateAtOnceBetweenThreeHostsEachVerifiedTheirDemandMarkedAndLeaveNothingBehind() throws Exception {
        // One round of the concurrent scenario (the full one, with each guest alone for comparison, takes ~7 min).
        Finished r = run(List.of(SCRIPT.toString(), "--scenario", "concurrent", "--rounds", "together-demand",
                "--memory", "32", "--run-id", runId), 900);
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("SCENARIO concurrent: PASS"), r.out());
        Matcher moved = Pattern.compile("MIGRATION together-demand +g\\d+ +h(\\d)->h(\\d) moved .* verified=true")
                .matcher(r.out());
        int migrations = 0;
        while (moved.find()) {
            assertTrue(!moved.group(1).equals(moved.group(2)), moved.group());
            migrations++;
        }
        assertEquals(8, migrations, "eight migrations, each moved and verified:\n" + r.out());
        // The daemons marked their demand connections and the link's first class took them: the marking is on the wire.
        Matcher band = Pattern.compile("demand band carried (\\d+) bytes").matcher(r.out());
        assertTrue(band.find() && Long.parseLong(band.group(1)) > 0, r.out());
        assertNothingLeft(daemonPids(r.out()));
    }

    @Test
    void ctrlCTearsTheLabDown() throws Exception {
        Started lab = start(2);
        List<Long> daemons = lab.daemons();
        assertEquals(2, daemons.size(), lab.out());
        assertEquals(Set.of(ns("sw"), ns("h1"), ns("h2")), namespacesOfRun(), "the lab's namespaces while it is up");
        Finished kill = run(List.of("kill", "-INT", Long.toString(lab.process().pid())), 30);
        assertEquals(0, kill.exit(), kill.out());
        assertTrue(lab.process().waitFor(3, TimeUnit.MINUTES), "the lab did not end after SIGINT");
        assertEquals(130, lab.process().exitValue(), lab.out());
        assertNothingLeft(daemons);
    }

    @Test
    void ctrlCPressedAgainWhileTheLabComesDownDoesNotStopTheTeardown() throws Exception {
        Started lab = start(2);
        List<Long> daemons = lab.daemons();
        assertEquals(2, daemons.size(), lab.out());
        // An impatient operator: SIGINT again and again until the script ends. Before the teardown ignored it, the
        // second one killed the script half-way through and left its namespaces, daemons or work directory behind.
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (lab.process().isAlive() && System.nanoTime() < deadline) {
            run(List.of("kill", "-INT", Long.toString(lab.process().pid())), 30);
            lab.process().waitFor(50, TimeUnit.MILLISECONDS);
        }
        assertFalse(lab.process().isAlive(), "the lab did not end after SIGINT");
        String out = lab.outAfterExit();
        assertEquals(130, lab.process().exitValue(), out);
        assertTrue(out.contains("torn down"), "the teardown did not finish:\n" + out);
        assertNothingLeft(daemons);
    }

    @Test
    void downRemovesWhatAKilledScriptLeftBehind() throws Exception {
        Started lab = start(2);
        List<Long> daemons = lab.daemons();
        lab.process().destroyForcibly();   // SIGKILL: no trap runs, the namespaces and daemons stay
        assertTrue(lab.process().waitFor(30, TimeUnit.SECONDS));
        assertFalse(namespacesOfRun().isEmpty(), "a killed script should have left its namespaces");

        Finished down = run(List.of(SCRIPT.toString(), "--down"), 120);
        assertEquals(0, down.exit(), down.out());
        assertTrue(down.out().contains("removed run " + runId), down.out());
        assertNothingLeft(daemons);
    }

    private String ns(String suffix) {
        return "xlpc-" + runId + "-" + suffix;
    }

    private void assertNothingLeft(List<Long> daemons) throws Exception {
        assertEquals(Set.of(), namespacesOfRun(), "namespaces left behind");
        for (long pid : daemons) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "daemon " + pid + " still runs");
        }
        Set<String> appeared = new HashSet<>(rootLinks());
        appeared.removeAll(rootLinksBefore);
        assertEquals(Set.of(), appeared, "links the lab left in the root namespace");
        assertFalse(Files.exists(Path.of("/run/xlpc-cluster", runId + ".owner")), "the run's owner file is left");
    }

    private Set<String> namespacesOfRun() throws Exception {
        Set<String> mine = new HashSet<>();
        for (String line : run(List.of("ip", "netns", "list"), 30).out().split("\n")) {
            String name = line.trim().split(" ")[0];
            if (name.startsWith("xlpc-" + runId + "-")) {
                mine.add(name);
            }
        }
        return mine;
    }

    private static Set<String> rootLinks() throws Exception {
        Set<String> names = new HashSet<>();
        for (String line : run(List.of("ip", "-o", "link", "show"), 30).out().split("\n")) {
            String[] f = line.split(":");
            if (f.length > 1) {
                names.add(f[1].trim().split("@")[0]);
            }
        }
        return names;
    }

    private static List<Long> daemonPids(String out) {
        List<Long> pids = new ArrayList<>();
        Matcher m = DAEMON_PID.matcher(out);
        while (m.find()) {
            pids.add(Long.parseLong(m.group(1)));
        }
        return pids;
    }

    /** A finished command: exit code and stdout and stderr together, in order. */
    private record Finished(int exit, String out) {
    }

    private static Finished run(List<String> cmd, int timeoutSeconds) throws IOException, InterruptedException {
        Process p = builder(cmd).start();
        StringBuilder out = new StringBuilder();
        Thread drain = drain(p, line -> out.append(line).append('\n'));
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroy();
            p.waitFor(60, TimeUnit.SECONDS);
            drain.join(10_000);
            throw new AssertionError(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s:\n" + out);
        }
        drain.join(10_000);
        return new Finished(p.exitValue(), out.toString());
    }

    /** A lab left up (no --scenario): the script's process and what it printed so far. */
    private record Started(Process process, StringBuilder log, Thread drain) {
        String out() {
            synchronized (log) {
                return log.toString();
            }
        }

        /** Everything the script printed, once it has ended: its last lines may still be on their way. */
        String outAfterExit() throws InterruptedException {
            drain.join(30_000);
            return out();
        }

        List<Long> daemons() {
            return daemonPids(out());
        }
    }

    /** Starts an interactive lab of {@code hosts} and returns once it says it is ready. */
    private Started start(int hosts) throws Exception {
        Process p = builder(List.of(SCRIPT.toString(), "--hosts", Integer.toString(hosts), "--run-id", runId)).start();
        StringBuilder log = new StringBuilder();
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread drain = drain(p, line -> {
            synchronized (log) {
                log.append(line).append('\n');
            }
            lines.add(line);
        });
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (true) {
            String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line != null && line.contains("ready; Ctrl-C tears it down")) {
                return new Started(p, log, drain);
            }
            if (line == null && (System.nanoTime() >= deadline || !p.isAlive())) {
                p.destroy();
                throw new AssertionError("the lab did not get ready:\n" + log);
            }
        }
    }

    private static ProcessBuilder builder(List<String> cmd) {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        // The reactor's jar with this JDK, as the other end-to-end tests run it: the script then builds nothing.
        pb.environment().put("XLPC_JAR", XlpcProcess.jar().toAbsolutePath().toString());
        pb.environment().remove("XLPC_CONFIG");
        pb.environment().remove("XLPC_TOKEN");
        return pb;
    }

    private static Thread drain(Process p, java.util.function.Consumer<String> sink) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    sink.accept(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "cluster-lab-output");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
