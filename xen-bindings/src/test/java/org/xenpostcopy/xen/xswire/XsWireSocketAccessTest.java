package org.xenpostcopy.xen.xswire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.xen.emulated.EmulatedXenStore;

/**
 * Who may reach the xenstore socket: it is created 0600, never wider, and each peer's user is checked with
 * SO_PEERCRED — root and the daemon's own user, and whoever is configured, get in.
 */
class XsWireSocketAccessTest {
    @TempDir
    Path dir;

    @Test
    void theSocketIsTheOwnersAloneAndNoStagingIsLeftBehind() throws Exception {
        try (EmulatedXenStore store = new EmulatedXenStore("mode");
             XsWireServer server = new XsWireServer(store, dir.resolve("xs.sock"))) {
            assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(server.path()));
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(Set.of(server.path()), Set.copyOf(files.toList()), "only the socket is left");
            }
        }
    }

    @Test
    void rootAndThisProcesssUserAreLetInOthersOnlyIfNamed() throws Exception {
        try (EmulatedXenStore store = new EmulatedXenStore("who");
             XsWireServer server = new XsWireServer(store, dir.resolve("xs.sock"), Set.of("alice"))) {
            assertTrue(server.allows("root"));
            assertTrue(server.allows(System.getProperty("user.name")));
            assertTrue(server.allows("alice"));
            assertFalse(server.allows("nobody"));
        }
    }

    /**
     * A real process of another user, with the socket's mode opened wide on purpose so only the SO_PEERCRED check
     * stands between it and the store: refused, and let in once named.
     */
    @Test
    void anotherUsersProcessIsRefusedByItsCredentialsUnlessConfigured() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "skipped: needs root to run a process as nobody");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")) && Files.isExecutable(Path.of("/usr/bin/xenstore-read")),
                "skipped: needs setpriv (util-linux) and xenstore-read (xenstore-utils)");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        try (EmulatedXenStore store = new EmulatedXenStore("peer")) {
            store.write("/local/domain/0/name", "Domain-0");
            try (XsWireServer strict = new XsWireServer(store, dir.resolve("strict.sock"))) {
                Files.setPosixFilePermissions(strict.path(), PosixFilePermissions.fromString("rw-rw-rw-"));
                assertNotEquals(0, readAsNobody(strict.path()).exit(), "nobody is refused");
            }
            try (XsWireServer open = new XsWireServer(store, dir.resolve("open.sock"), Set.of("nobody"))) {
                Files.setPosixFilePermissions(open.path(), PosixFilePermissions.fromString("rw-rw-rw-"));
                Run r = readAsNobody(open.path());
                assertEquals(0, r.exit(), r.out());
                assertEquals("Domain-0\n", r.out());
            }
        }
    }

    private record Run(int exit, String out) {
    }

    private static Run readAsNobody(Path socket) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "xenstore-read", "/local/domain/0/name").redirectErrorStream(true);
        pb.environment().put("XENSTORED_PATH", socket.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "xenstore-read hung");
        return new Run(p.exitValue(), out);
    }
}
