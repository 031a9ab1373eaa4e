package org.xenpostcopy.migration.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.migration.tls.ChannelSecurity;

/**
 * A command's connections share one TLS context, built once, that only connects; without credentials each daemon's
 * address is judged on its own, as for any command.
 */
class CommandSecurityTest {
    @TempDir
    Path tmp;

    private XlpcConfig config(String tlsDir) throws Exception {
        Path file = Files.writeString(tmp.resolve("xlpc.conf"), tlsDir == null ? "" : "tls.dir = " + tlsDir + "\n");
        return XlpcConfig.load(file, Map.of());
    }

    @Test
    void withCredentialsEveryDaemonGetsTheOneContextAndItServesNothing() throws Exception {
        int made = Xlpc.run(new String[] {"--config", Files.writeString(tmp.resolve("empty.conf"), "").toString(),
            "tls", "init", tmp.resolve("tls").toString(), "--hosts", "a"}, new PrintWriter(new StringWriter(), true),
                new PrintWriter(new StringWriter(), true));
        assertTrue(made == 0, "tls init");
        CommandSecurity security = new CommandSecurity(config(tmp.resolve("tls/a").toString()));

        ChannelSecurity first = security.toward(new InetSocketAddress("10.0.0.1", 7410));
        ChannelSecurity second = security.toward(new InetSocketAddress("10.0.0.2", 7410));

        assertTrue(first.isTls());
        assertSame(first, second, "built once for the command");
        assertThrows(IllegalStateException.class, first::serverEngine, "a command only connects");
    }

    @Test
    void withoutCredentialsLoopbackIsPlainAndAnywhereElseRefused() throws Exception {
        CommandSecurity security = new CommandSecurity(config(null));
        assertFalse(security.toward(new InetSocketAddress("127.0.0.1", 7410)).isTls());
        assertThrows(CliException.class, () -> security.toward(new InetSocketAddress("10.0.0.1", 7410)));
    }
}
