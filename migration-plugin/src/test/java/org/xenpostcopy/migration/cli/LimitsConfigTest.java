package org.xenpostcopy.migration.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.migration.protocol.ServerLimits;

/** The {@code limits.*} and {@code xenstore.allow} keys of the config file. */
class LimitsConfigTest {
    @TempDir
    Path tmp;

    private XlpcConfig load(String text) throws Exception {
        return XlpcConfig.load(Files.writeString(tmp.resolve("xlpc.conf"), text), Map.of());
    }

    @Test
    void absentKeysKeepTheDefaults() throws Exception {
        XlpcConfig c = load("");
        assertEquals(ServerLimits.defaults(), c.limits());
        assertEquals(Set.of(), c.xenstoreAllow());
    }

    @Test
    void everyKeyIsRead() throws Exception {
        XlpcConfig c = load("limits.connections = 100\nlimits.connections-per-peer = 8\nlimits.handshake-s = 5\n"
                + "limits.idle-s = 120\nlimits.message-stall-s = 30\nxenstore.allow = alice, bob\n");
        assertEquals(new ServerLimits(100, 8, Duration.ofSeconds(5), Duration.ofSeconds(120), Duration.ofSeconds(30)),
                c.limits());
        assertEquals(Set.of("alice", "bob"), c.xenstoreAllow());
    }

    @Test
    void nonsenseIsRefusedNamingTheKey() throws Exception {
        assertEquals("limits.idle-s in " + tmp.resolve("xlpc.conf") + " is not a whole number: 'soon'",
                assertThrows(CliException.class, () -> load("limits.idle-s = soon\n")).getMessage());
        assertEquals("limits in " + tmp.resolve("xlpc.conf") + ": connection limits must be 1 <= per peer (300) <= in "
                + "all (256)", assertThrows(CliException.class,
                        () -> load("limits.connections-per-peer = 300\n")).getMessage());
    }
}
