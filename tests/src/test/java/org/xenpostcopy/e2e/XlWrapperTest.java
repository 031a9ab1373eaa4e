package org.xenpostcopy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code patches/xl/xl}, the wrapper that puts {@code xl migrate --postcopy} on xen-postcopy's daemon: it runs against
 * a stand-in xl and a stand-in xlpc that record their arguments, one per line. What it must keep: every command that
 * is not ours reaches Xen's xl byte for byte (arguments with spaces too); ours reaches {@code xlpc migrate} with the
 * mode, xlpc's options and the host without its ssh user; options that cannot mean anything for post-copy are refused
 * before anything runs.
 */
class XlWrapperTest {
    private static final Path WRAPPER = Path.of("..", "patches", "xl", "xl").toAbsolutePath().normalize();

    @TempDir
    Path dir;
    private Path calls;

    @BeforeEach
    void standIns() throws IOException {
        calls = dir.resolve("calls");
        standIn("xl", "xl");
        standIn("xlpc", "xlpc");
    }

    private void standIn(String name, String tag) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\necho " + tag + " >> '" + calls + "'\nfor a in \"$@\"; do echo \"$a\" >> '"
                + calls + "'; done\necho . >> '" + calls + "'\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private record Run(int exit, String stderr, List<String> call) {
    }

    private Run xl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", WRAPPER.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("XL_REAL", dir.resolve("xl").toString());
        pb.environment().put("XLPC", dir.resolve("xlpc").toString());
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the wrapper did not finish");
        List<String> call = Files.exists(calls) ? Files.readAllLines(calls) : List.of();
        if (!call.isEmpty()) {
            call = call.subList(0, call.size() - 1);   // the "." that ends a call
        }
        return new Run(p.exitValue(), err, call);
    }

    @Test
    void commandsThatAreNotOursReachXlUnchanged() throws Exception {
        assertEquals(List.of("xl", "-v", "list"), xl("-v", "list").call());
        Files.delete(calls);
        // Xen's own migration: ssh command with spaces, -e, the user in the host, all as given
        assertEquals(List.of("xl", "migrate", "-s", "ssh -p 2222", "-e", "memcheck", "root@hostb"),
                xl("migrate", "-s", "ssh -p 2222", "-e", "memcheck", "root@hostb").call());
    }

    @Test
    void postCopyGoesToTheDaemonWithXlpcsOptionsAndTheBareHost() throws Exception {
        Run r = xl("-v", "migrate", "--postcopy", "-e", "--prepaging", "multibubble", "--dsb", "memcheck",
                "root@hostb:7410");
        assertEquals(0, r.exit(), r.stderr());
        assertEquals(List.of("xlpc", "migrate", "--postcopy", "--prepaging=multibubble", "--dsb", "memcheck",
                "hostb:7410"), r.call());
    }

    @Test
    void hybridAndXlpcPreCopyNameTheirModes() throws Exception {
        assertEquals(List.of("xlpc", "migrate", "--hybrid", "memcheck", "b"),
                xl("migrate", "--hybrid", "memcheck", "b").call());
        Files.delete(calls);
        assertEquals(List.of("xlpc", "migrate", "--precopy", "--json", "memcheck", "b"),
                xl("migrate", "memcheck", "b", "--xlpc", "--json").call());
    }

    @Test
    void optionsThatMeanNothingForPostCopyAreRefusedBeforeAnythingRuns() throws Exception {
        for (String[] args : List.of(new String[] {"migrate", "--postcopy", "-s", "ssh", "memcheck", "b"},
                new String[] {"migrate", "--postcopy", "-C", "/etc/xen/memcheck.cfg", "memcheck", "b"},
                new String[] {"migrate", "--postcopy", "-p", "memcheck", "b"},
                new String[] {"migrate", "--postcopy", "-x", "memcheck", "b"},
                new String[] {"migrate", "--postcopy", "memcheck"},
                new String[] {"migrate", "--postcopy", "--prepaging"})) {
            Run r = xl(args);
            assertEquals(2, r.exit(), String.join(" ", args));
            assertTrue(r.call().isEmpty(), "ran something for " + String.join(" ", args) + ": " + r.call());
            assertTrue(r.stderr().startsWith("xl migrate") || r.stderr().startsWith("usage: xl migrate"), r.stderr());
        }
    }
}
