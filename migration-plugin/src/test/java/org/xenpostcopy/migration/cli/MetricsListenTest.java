package org.xenpostcopy.migration.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where {@code xlpc daemon} serves {@code /metrics}: {@code --metrics-listen} &gt; {@code metrics.listen} &gt; default. */
class MetricsListenTest {
    private static final InetSocketAddress DAEMON = InetSocketAddress.createUnresolved("0.0.0.0", 7410);

    @TempDir
    Path tmp;

    @Test
    void byDefaultLoopbackOnTheDaemonsPortPlusOneAndAnyFreePortForADaemonOnPortZero() {
        assertEquals(Optional.of(InetSocketAddress.createUnresolved("127.0.0.1", 7411)),
                XlpcConfig.metricsAddress("", DAEMON, "metrics.listen"));
        assertEquals(Optional.of(InetSocketAddress.createUnresolved("127.0.0.1", 0)),
                XlpcConfig.metricsAddress("", InetSocketAddress.createUnresolved("127.0.0.1", 0), "metrics.listen"));
    }

    @Test
    void offServesNoneAndAnAddressIsTakenAsWritten() {
        assertEquals(Optional.empty(), XlpcConfig.metricsAddress("off", DAEMON, "--metrics-listen"));
        assertEquals(Optional.of(InetSocketAddress.createUnresolved("10.0.0.2", 9410)),
                XlpcConfig.metricsAddress("10.0.0.2:9410", DAEMON, "--metrics-listen"));
        assertEquals(Optional.of(InetSocketAddress.createUnresolved("::1", 9410)),
                XlpcConfig.metricsAddress("[::1]:9410", DAEMON, "--metrics-listen"));
    }

    @Test
    void anAddressWithoutAPortIsAUsageError() {
        // Not HOST alone: the default port of HOST:PORT elsewhere (7410) is the daemon's own, never the metrics'.
        CliException e = assertThrows(CliException.class,
                () -> XlpcConfig.metricsAddress("localhost", DAEMON, "--metrics-listen"));
        assertEquals("--metrics-listen needs HOST:PORT (or off), not 'localhost'", e.getMessage());
        assertEquals(2, e.exitCode());
    }

    @Test
    void theConfigKeyIsRead() throws Exception {
        Path conf = Files.writeString(tmp.resolve("xlpc.conf"), "metrics.listen = off\n");
        assertEquals("off", XlpcConfig.load(conf, Map.of()).metricsListen());
        assertEquals("", XlpcConfig.load(Files.writeString(tmp.resolve("empty.conf"), ""), Map.of()).metricsListen());
    }

    @Test
    void aDaemonWhoseMetricsAddressIsTakenExitsWithOneLineNamingIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Path config = Files.writeString(tmp.resolve("empty.conf"), "");
            StringWriter err = new StringWriter();
            int exit = Xlpc.run(new String[] {"--config", config.toString(), "daemon", "--listen", "127.0.0.1:0",
                "--ephemeral", "--metrics-listen", "127.0.0.1:" + port}, new PrintWriter(new StringWriter(), true),
                    new PrintWriter(err, true));

            assertEquals(1, exit, err.toString());
            assertEquals(1, err.toString().lines().count(), err.toString());
            assertTrue(err.toString().startsWith("xlpc: cannot serve metrics on 127.0.0.1:" + port + ": "),
                    err.toString());
            assertTrue(err.toString().contains("(--metrics-listen HOST:PORT elsewhere, or off)"), err.toString());
        }
    }
}
