package org.xenpostcopy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.migration.report.MigrationReport;

/**
 * Two {@code xlpc daemon} JVMs with credentials from {@code xlpc tls init}, driven by {@code xlpc} commands that use
 * them too; the token comes from a file.
 */
class XlpcTlsEndToEndTest {
    @TempDir
    Path tmp;

    @Test
    void daemonsAndCommandsSpeakTlsWithCredentialsFromTlsInit() throws Exception {
        Path lab = tmp.resolve("lab");
        XlpcProcess.Result init = XlpcProcess.run(Map.of(), "tls", "init", lab.toString(), "--hosts", "alpha,beta");
        assertEquals(0, init.exit(), init.err());
        Path token = Files.writeString(tmp.resolve("token"), "tls-e2e-token\n");
        Map<String, String> env = Map.of("XLPC_TOKEN", "tls-e2e-token");
        try (XlpcProcess.Daemon a = new XlpcProcess.Daemon("alpha", env, "--tls-dir", lab.resolve("alpha").toString(),
                "--tls-allow", "alpha,beta");
             XlpcProcess.Daemon b = new XlpcProcess.Daemon("beta", Map.of("XLPC_TLS_DIR", lab.resolve("beta").toString(),
                     "XLPC_TOKEN", "tls-e2e-token"))) {
            String[] asAlpha = {"--tls-dir", lab.resolve("alpha").toString(), "--token-file", token.toString(),
                "--daemon", a.address};
            XlpcProcess.Result created = XlpcProcess.run(Map.of(), concat(asAlpha, "create", "vm", "--memory", "64",
                    "--workload", "stress-write:16M"));
            assertEquals(0, created.exit(), created.err());
            XlpcProcess.Result migrated = XlpcProcess.run(Map.of(), concat(asAlpha, "migrate", "--json", "vm", b.address));
            assertEquals(0, migrated.exit(), migrated.err());
            MigrationReport r = MigrationReport.fromJson(migrated.out());
            assertTrue(r.verified(), r.verificationNote());

            XlpcProcess.Result plain = XlpcProcess.run(Map.of(), "--token-file", token.toString(), "--daemon", a.address,
                    "list");
            assertEquals(1, plain.exit());
            assertEquals(1, plain.err().lines().count(), plain.err());
            assertTrue(a.log().contains("mutual TLS 1.3"), a.log());
        }
    }

    private static String[] concat(String[] first, String... rest) {
        String[] all = java.util.Arrays.copyOf(first, first.length + rest.length);
        System.arraycopy(rest, 0, all, first.length, rest.length);
        return all;
    }
}
