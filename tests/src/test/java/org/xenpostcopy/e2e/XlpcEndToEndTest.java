package org.xenpostcopy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.xenpostcopy.migration.report.MigrationReport;

/** Two {@code xlpc daemon} JVMs on loopback, driven by the {@code xlpc} command line in further JVMs. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class XlpcEndToEndTest {
    private static final Map<String, String> ENV = Map.of("XLPC_TOKEN", "e2e-token");
    private XlpcProcess.Daemon a;
    private XlpcProcess.Daemon b;

    private java.nio.file.Path xenstoreSocket;

    @BeforeAll
    void startDaemons() throws Exception {
        xenstoreSocket = java.nio.file.Files.createTempDirectory("xlpc-e2e").resolve("xenstored.sock");
        a = new XlpcProcess.Daemon("alpha", ENV, "--xenstore-socket", xenstoreSocket.toString());
        b = new XlpcProcess.Daemon("beta", ENV);
    }

    @AfterAll
    void stopDaemons() throws Exception {
        int ea = a.stop();
        int eb = b.stop();
        assertTrue(ea == 0 || ea == 143, "daemon exit " + ea);
        assertTrue(eb == 0 || eb == 143, "daemon exit " + eb);
        assertTrue(a.log().contains("emulated host 'alpha'"), a.log());
    }

    private XlpcProcess.Result xlpc(String daemon, String... args) throws Exception {
        return XlpcProcess.against(ENV, daemon, args);
    }

    private MigrationReport migrate(String from, String to, String... flags) throws Exception {
        String[] args = new String[flags.length + 4];
        args[0] = "migrate";
        System.arraycopy(flags, 0, args, 1, flags.length);
        args[flags.length + 1] = "--json";
        args[flags.length + 2] = "vm";
        args[flags.length + 3] = to;
        XlpcProcess.Result r = xlpc(from, args);
        assertEquals(0, r.exit(), r.err() + r.out());
        assertTrue(r.out().trim().startsWith("{") && r.out().trim().endsWith("}"), "only JSON on stdout: " + r.out());
        return MigrationReport.fromJson(r.out());
    }

    @Test
    void createListAndMigrateBackAndForthInEveryMode() throws Exception {
        XlpcProcess.Result created = xlpc(a.address, "create", "vm", "--memory", "256", "--workload", "stress-write:32M");
        assertEquals(0, created.exit(), created.err());
        XlpcProcess.Result list = xlpc(a.address, "list");
        assertEquals(0, list.exit(), list.err());
        assertTrue(list.out().contains("vm") && list.out().contains("Domain-0"), list.out());

        String[][] modes = {
            {"--postcopy", "--prepaging", "bubble"},
            {"--precopy"},
            {"--hybrid", "--precopy-rounds", "2"},
            {"--postcopy", "--dsb", "--prepaging", "multibubble"},
            {"--precopy", "--dsb"},
            {"--hybrid", "--dsb"},
        };
        String here = a.address;
        String there = b.address;
        for (String[] flags : modes) {
            MigrationReport r = migrate(here, there, flags);
            assertTrue(r.verified(), String.join(" ", flags) + ": " + r.verificationNote());
            assertEquals(0, r.mismatchedPages());
            assertTrue(r.pagesTransferred() > 0 && r.downtimeMs() > 0);
            assertEquals(flags[0].substring(2), r.mode());
            assertEquals(java.util.Arrays.asList(flags).contains("--dsb"), r.dsb());
            XlpcProcess.Result gone = xlpc(here, "list");
            assertFalse(gone.out().contains("vm "), "the source no longer lists the domain: " + gone.out());
            String t = here;
            here = there;
            there = t;
        }
        XlpcProcess.Result memSet = xlpc(here, "mem-set", "vm", "128");
        assertEquals(0, memSet.exit(), memSet.err());
        XlpcProcess.Result dsb = xlpc(here, "dsb", "start", "vm");
        assertEquals(0, dsb.exit(), dsb.err());
        XlpcProcess.Result status = xlpc(here, "dsb", "status", "vm");
        assertTrue(status.out().contains("self-ballooning"), status.out());
        assertEquals(0, xlpc(here, "dsb", "stop", "vm").exit());
        assertEquals(0, xlpc(here, "destroy", "vm").exit());
    }

    @Test
    void theDaemonsXenstoreServesDebiansXenstoreTools() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/bin/xenstore-ls")),
                "skipped: Debian's xenstore clients are missing (apt-get install xenstore-utils)");
        assertEquals(0, xlpc(a.address, "create", "xs-guest", "--memory", "32", "--workload", "idle").exit());
        ProcessBuilder pb = new ProcessBuilder("xenstore-ls", "/local/domain").redirectErrorStream(true);
        pb.environment().put("XENSTORED_PATH", xenstoreSocket.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor());
        assertTrue(out.contains("name = \"xs-guest\"") && out.contains("target = \"32768\""), out);
        assertEquals(0, xlpc(a.address, "destroy", "xs-guest").exit());
    }

    @Test
    void errorsAreOneClearLineWithANonZeroExit() throws Exception {
        XlpcProcess.Result unknown = xlpc(a.address, "migrate", "no-such-vm", b.address);
        assertEquals(1, unknown.exit());
        assertTrue(unknown.err().contains("no domain 'no-such-vm'"), unknown.err());
        assertFalse(unknown.err().contains("\tat "), "no stack trace: " + unknown.err());

        XlpcProcess.Result unreachable = xlpc("127.0.0.1:1", "list");
        assertEquals(1, unreachable.exit());
        assertTrue(unreachable.err().contains("no xlpc daemon at 127.0.0.1:1"), unreachable.err());

        XlpcProcess.Result badOption = xlpc(a.address, "migrate", "--prepaging", "wiggly", "vm", b.address);
        assertEquals(2, badOption.exit());
        assertTrue(badOption.err().contains("unknown pre-paging policy 'wiggly'"), badOption.err());

        XlpcProcess.Result badWorkload = xlpc(a.address, "create", "x", "--workload", "fortnite");
        assertEquals(1, badWorkload.exit());
        assertTrue(badWorkload.err().contains("unknown workload 'fortnite'"), badWorkload.err());

        XlpcProcess.Result tooMuch = xlpc(a.address, "create", "big", "--memory", "64", "--workload", "idle");
        assertEquals(0, tooMuch.exit(), tooMuch.err());
        XlpcProcess.Result memSet = xlpc(a.address, "mem-set", "big", "128");
        assertEquals(1, memSet.exit());
        assertTrue(memSet.err().contains("above the domain's static-max"), memSet.err());
        XlpcProcess.Result deadHost = xlpc(a.address, "migrate", "big", "127.0.0.1:1");
        assertEquals(1, deadHost.exit());
        assertTrue(deadHost.err().contains("cannot reach the daemon at 127.0.0.1:1"), deadHost.err());
        assertTrue(xlpc(a.address, "list").out().contains("big"), "a failed migration leaves the guest where it was");
        assertEquals(0, xlpc(a.address, "destroy", "big").exit());

        XlpcProcess.Result noToken = XlpcProcess.run(Map.of(), "--daemon", a.address, "list");
        assertEquals(1, noToken.exit());
        assertTrue(noToken.err().contains("wrong or missing token"), noToken.err());

        if (!java.nio.file.Files.exists(java.nio.file.Path.of("/dev/xen/privcmd"))) {
            XlpcProcess.Result nativeDaemon = XlpcProcess.run(ENV, "daemon", "--native", "--listen", "127.0.0.1:0");
            assertEquals(1, nativeDaemon.exit());
            assertEquals("xlpc: no Xen hypervisor: /dev/xen/privcmd is missing (leave out --native for an emulated host)",
                    nativeDaemon.err().trim());
        }

        XlpcProcess.Result verbose = xlpc(a.address, "-v", "migrate", "no-such-vm", b.address);
        assertTrue(verbose.err().contains("\tat "), "--verbose shows the stack trace");
    }
}
