package org.xenpostcopy.xen.xswire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.xen.emulated.EmulatedXenStore;

/** Debian's real xenstore-* clients (libxenstore inside) against our xenstored on a unix socket. */
class DebianXenstoreToolsTest {
    @TempDir
    Path dir;
    private EmulatedXenStore store;
    private XsWireServer server;

    @BeforeEach
    void serve() throws IOException {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/xenstore-read")),
                "skipped: Debian's xenstore clients are missing (apt-get install xenstore-utils)");
        store = new EmulatedXenStore("tools");
        server = new XsWireServer(store, dir.resolve("xenstored.sock"));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
            store.close();
        }
    }

    private record Run(int exit, String out) {
    }

    private Run tool(String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("XENSTORED_PATH", server.path().toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", cmd) + " hung");
        return new Run(p.exitValue(), out);
    }

    @Test
    void readWriteListExistsRemove() throws Exception {
        assertEquals(0, tool("xenstore-write", "/local/domain/7/memory/target", "524288").exit());
        assertEquals(Optional.of("524288"), store.read("/local/domain/7/memory/target"));
        store.write("/local/domain/7/name", "guest-7");
        Run read = tool("xenstore-read", "/local/domain/7/name");
        assertEquals(0, read.exit(), read.out());
        assertEquals("guest-7\n", read.out());
        Run ls = tool("xenstore-ls", "/local/domain/7");
        assertEquals(0, ls.exit(), ls.out());
        assertTrue(ls.out().contains("memory = \"\"") && ls.out().contains("target = \"524288\"")
                && ls.out().contains("name = \"guest-7\""), ls.out());
        assertEquals(0, tool("xenstore-exists", "/local/domain/7/name").exit());
        assertEquals(1, tool("xenstore-exists", "/local/domain/7/nothing").exit());
        assertEquals(0, tool("xenstore-rm", "/local/domain/7/name").exit());
        assertEquals(Optional.empty(), store.read("/local/domain/7/name"));
        Run missing = tool("xenstore-read", "/local/domain/7/name");
        assertTrue(missing.exit() != 0, "reading a removed node fails: " + missing.out());
    }

    @Test
    void permissionsAreSetInheritedAndReportedAsXenstoredDoes() throws Exception {
        assertEquals(0, tool("xenstore-write", "/local/domain/8/memory/target", "1").exit());
        assertEquals(0, tool("xenstore-chmod", "/local/domain/8", "n8", "r0").exit());
        assertEquals(0, tool("xenstore-write", "/local/domain/8/data/x", "1").exit());
        Run ls = tool("xenstore-ls", "-p", "/local/domain/8");
        assertEquals(0, ls.exit(), ls.out());
        assertTrue(lineOf(ls.out(), "data = ").endsWith("(n8,r0)"), "a new node takes its parent's: " + ls.out());
        assertTrue(lineOf(ls.out(), "memory = ").endsWith("(n0)"), "older nodes keep theirs: " + ls.out());
        Run bad = tool("xenstore-chmod", "/local/domain/8", "q1");
        assertTrue(bad.exit() != 0, "an invalid permission is refused: " + bad.out());
    }

    private static String lineOf(String out, String start) {
        return out.lines().map(String::trim).filter(l -> l.startsWith(start)).findFirst().orElse("(no line " + start + ")");
    }

    @Test
    void relativePathsAreDom0s() throws Exception {
        assertEquals(0, tool("xenstore-write", "data/hello", "world").exit());
        assertEquals(Optional.of("world"), store.read("/local/domain/0/data/hello"));
    }

    @Test
    void watchSeesRegistrationAndChanges() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("xenstore-watch", "-n", "3", "/local/domain/9/memory").redirectErrorStream(true);
        pb.environment().put("XENSTORED_PATH", server.path().toString());
        Process watch = pb.start();
        List<String> lines = new ArrayList<>();
        var reader = new java.io.BufferedReader(new java.io.InputStreamReader(watch.getInputStream(), StandardCharsets.UTF_8));
        lines.add(reader.readLine());   // the registration event
        store.write("/local/domain/9/memory/target", "1");
        lines.add(reader.readLine());
        store.write("/local/domain/9/memory/target", "2");
        lines.add(reader.readLine());
        assertTrue(watch.waitFor(30, TimeUnit.SECONDS));
        assertEquals(List.of("/local/domain/9/memory", "/local/domain/9/memory/target", "/local/domain/9/memory/target"),
                lines);
    }
}
