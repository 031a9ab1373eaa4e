package org.xenpostcopy.migration.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.migration.cli.HostCheck.Item;
import org.xenpostcopy.migration.cli.HostCheck.Status;
import org.xenpostcopy.migration.tls.LabAuthority;
import org.xenpostcopy.migration.tls.PeerAllowList;
import org.xenpostcopy.migration.tls.TlsCredentials;

/** {@code xlpc daemon --check} on canned machines: a ready Xen dom0, Debian's stock Xen, a laptop, bad credentials. */
class HostCheckTest {
    @TempDir
    Path tmp;

    /** A machine as the probes see it; each test changes what it is about. */
    static final class CannedProbes implements HostProbes {
        Optional<Found> hypervisor = Optional.of(new Found("xen", "/sys/hypervisor/type"));
        boolean privcmd = true;
        Optional<Found> config = Optional.of(new Found("CONFIG_HVM=y\nCONFIG_UNSUPPORTED=y\nCONFIG_MEM_PAGING=y\n",
                "xenhypfs cat /buildinfo/config"));
        String xenstoreFailure;
        OptionalLong xenFreeKiB = OptionalLong.of(8L << 20);
        OptionalLong availableKiB = OptionalLong.of(16L << 20);
        boolean writable = true;
        Instant now = Instant.now();

        @Override
        public Optional<Found> hypervisor() {
            return hypervisor;
        }

        @Override
        public boolean exists(Path path) {
            return path.equals(HostCheck.PRIVCMD) && privcmd;
        }

        @Override
        public Optional<Found> hypervisorConfig() {
            return config;
        }

        @Override
        public Found xenstoreRead(String key) throws IOException {
            if (xenstoreFailure != null) {
                throw new IOException(xenstoreFailure);
            }
            assertEquals("/local/domain/0/name", key);
            return new Found("Domain-0", "/var/run/xenstored/socket");
        }

        @Override
        public OptionalLong hypervisorFreeKiB() {
            return xenFreeKiB;
        }

        @Override
        public OptionalLong availableKiB() {
            return availableKiB;
        }

        @Override
        public boolean writable(Path dir) {
            return writable;
        }

        @Override
        public Instant now() {
            return now;
        }
    }

    private CannedProbes machine;
    private Path tls;

    @BeforeEach
    void aReadyDom0() {
        machine = new CannedProbes();
        LabAuthority ca = LabAuthority.openOrCreate(tmp.resolve("lab"), Duration.ofDays(825));
        tls = ca.issueHost("alpha");
    }

    private HostCheck.Setup nativeOnTheNetwork() {
        return new HostCheck.Setup(true, "0.0.0.0:7410", false, Optional.of(tls), PeerAllowList.parse("alpha,beta"),
                Optional.of(Path.of("/var/lib/xlpc")), "");
    }

    private HostCheck.Setup emulatedOnLoopback() {
        return new HostCheck.Setup(false, "127.0.0.1:7410", true, Optional.empty(), PeerAllowList.anySignedByTheCa(),
                Optional.of(Path.of("/dev/shm/xlpc/a")), "");
    }

    private Map<String, Item> check(HostCheck.Setup setup) {
        return new HostCheck(machine, setup).run().stream().collect(Collectors.toMap(Item::name, Function.identity()));
    }

    private static boolean passed(Map<String, Item> items) {
        return HostCheck.passed(List.copyOf(items.values()));
    }

    @Test
    void aDom0WithPagingXenstoredMemoryAndCredentialsIsReady() {
        List<Item> items = new HostCheck(machine, nativeOnTheNetwork()).run();
        for (Item i : items) {
            assertEquals(Status.OK, i.status(), i.toString());
        }
        assertEquals(List.of("Xen hypervisor", "Xen control device", "hypervisor paging", "xenstored", "free memory",
                "TLS credentials", "state directory"), items.stream().map(Item::name).toList());
        String table = HostCheck.format(items);
        assertTrue(table.startsWith("CHECK "), table);
        assertTrue(table.contains("answers at /var/run/xenstored/socket (dom0 is 'Domain-0')"), table);
        assertTrue(table.contains("8192 MiB (Xen's free_memory (xl info))"), table);
        assertTrue(table.endsWith("ready: nothing required is missing\n"), table);
    }

    @Test
    void debiansStockXenLacksPagingAndTheRowNamesThePatch() {
        machine.config = Optional.of(new HostProbes.Found("CONFIG_HVM=y\n# CONFIG_MEM_PAGING is not set\n",
                "/boot/xen-4.17-amd64.config"));
        Map<String, Item> items = check(nativeOnTheNetwork());
        Item paging = items.get("hypervisor paging");
        assertEquals(Status.FAIL, paging.status());
        assertTrue(paging.detail().contains("/boot/xen-4.17-amd64.config")
                && paging.detail().contains("patches/xen/mem-paging.config"), paging.detail());
        assertFalse(passed(items));
        assertTrue(HostCheck.format(List.copyOf(items.values())).endsWith("NOT READY: 1 required item missing\n"));
    }

    @Test
    void aBuildConfigThatCannotBeFoundIsAWarningNotAFailure() {
        machine.config = Optional.empty();
        Map<String, Item> items = check(nativeOnTheNetwork());
        assertEquals(Status.WARN, items.get("hypervisor paging").status());
        assertTrue(passed(items));
    }

    @Test
    void aNativeHostWithoutXenstoredFailsWithTheReason() {
        machine.xenstoreFailure = "no xenstored socket at /var/run/xenstored/socket";
        Map<String, Item> items = check(nativeOnTheNetwork());
        assertEquals(new Item("xenstored", Status.FAIL, "no xenstored socket at /var/run/xenstored/socket"),
                items.get("xenstored"));
        assertFalse(passed(items));
    }

    @Test
    void nativeWithoutAHypervisorFailsOnEveryXenItem() {
        machine.hypervisor = Optional.empty();
        machine.privcmd = false;
        machine.config = Optional.empty();
        machine.xenstoreFailure = "no xenstored socket";
        machine.xenFreeKiB = OptionalLong.empty();
        Map<String, Item> items = check(nativeOnTheNetwork());
        assertEquals(Status.FAIL, items.get("Xen hypervisor").status());
        assertEquals(Status.FAIL, items.get("Xen control device").status());
        assertEquals(Status.FAIL, items.get("xenstored").status());
        assertEquals(Status.WARN, items.get("free memory").status(), "unknown, not known to be short");
    }

    @Test
    void anEmulatedHostOnALaptopNeedsNoXen() {
        machine.hypervisor = Optional.empty();
        machine.privcmd = false;
        machine.config = Optional.empty();
        machine.xenstoreFailure = "must not be asked";
        Map<String, Item> items = check(emulatedOnLoopback());
        assertEquals(Status.UNUSED, items.get("Xen hypervisor").status());
        assertTrue(items.get("Xen hypervisor").detail().endsWith("(needed with --native only)"));
        assertEquals(Status.UNUSED, items.get("xenstored").status());
        assertEquals(Status.UNUSED, items.get("TLS credentials").status());
        assertEquals(Status.OK, items.get("free memory").status());
        assertTrue(items.get("free memory").detail().contains("MemAvailable"));
        assertTrue(passed(items));
    }

    @Test
    void tooLittleFreeMemoryFails() {
        machine.xenFreeKiB = OptionalLong.of(HostCheck.MIN_FREE_KIB - 1024);
        Item mem = check(nativeOnTheNetwork()).get("free memory");
        assertEquals(Status.FAIL, mem.status());
        assertTrue(mem.detail().startsWith("511 MiB"), mem.detail());
    }

    @Test
    void offLoopbackWithoutCredentialsFailsSayingHowToMakeThem() {
        HostCheck.Setup s = new HostCheck.Setup(false, "10.0.0.1:7410", false, Optional.empty(),
                PeerAllowList.anySignedByTheCa(), Optional.empty(), "");
        Map<String, Item> items = check(s);
        assertEquals(Status.FAIL, items.get("TLS credentials").status());
        assertTrue(items.get("TLS credentials").detail().contains("xlpc tls init"));
        assertEquals(Status.UNUSED, items.get("state directory").status());
    }

    @Test
    void expiredCertificatesFailAndSoonExpiringOnesWarn() {
        machine.now = Instant.now().plus(Duration.ofDays(900));
        Item expired = check(nativeOnTheNetwork()).get("TLS credentials");
        assertEquals(Status.FAIL, expired.status());
        assertTrue(expired.detail().contains("is not valid now"), expired.detail());

        machine.now = Instant.now().plus(Duration.ofDays(815));
        Item soon = check(nativeOnTheNetwork()).get("TLS credentials");
        assertEquals(Status.WARN, soon.status(), soon.detail());
        assertTrue(soon.detail().endsWith("renew them soon"), soon.detail());
    }

    @Test
    void aCertificateOfAnotherCaFails() throws Exception {
        Path stranger = LabAuthority.openOrCreate(tmp.resolve("other"), Duration.ofDays(825)).issueHost("alpha");
        for (String f : new String[] {TlsCredentials.SERVER_CERT, TlsCredentials.SERVER_KEY}) {
            Files.copy(stranger.resolve(f), tls.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        Item item = check(nativeOnTheNetwork()).get("TLS credentials");
        assertEquals(Status.FAIL, item.status());
        assertTrue(item.detail().contains(TlsCredentials.SERVER_CERT + " is not signed by"), item.detail());
    }

    @Test
    void anUnknownTlsProviderFailsTheCheckAsItWouldFailTheStart() {
        HostCheck.Setup good = nativeOnTheNetwork();
        HostCheck.Setup typo = new HostCheck.Setup(good.nativeHost(), good.listen(), good.loopback(), good.tlsDir(),
                good.tlsAllow(), good.stateDir(), "openssl");
        Item item = check(typo).get("TLS credentials");
        assertEquals(Status.FAIL, item.status());
        assertTrue(item.detail().contains("tls.provider must be auto, boringssl or jdk"), item.detail());
        Item jdk = check(new HostCheck.Setup(good.nativeHost(), good.listen(), good.loopback(), good.tlsDir(),
                good.tlsAllow(), good.stateDir(), "jdk")).get("TLS credentials");
        assertEquals(Status.OK, jdk.status(), jdk.detail());
        assertTrue(jdk.detail().endsWith("records by the JDK's TLS"), jdk.detail());
    }

    @Test
    void missingServerPairFails() throws Exception {
        Files.delete(tls.resolve(TlsCredentials.SERVER_CERT));
        Files.delete(tls.resolve(TlsCredentials.SERVER_KEY));
        Item item = check(nativeOnTheNetwork()).get("TLS credentials");
        assertEquals(Status.FAIL, item.status());
        assertTrue(item.detail().contains("are missing"), item.detail());
    }

    @Test
    void anUnwritableStateDirectoryFailsAnEmulatedHostAndWarnsANativeOne() {
        machine.writable = false;
        assertEquals(Status.FAIL, check(emulatedOnLoopback()).get("state directory").status());
        assertEquals(Status.WARN, check(nativeOnTheNetwork()).get("state directory").status());
    }

    @Test
    void theCommandPrintsTheTableAndExitsOneWhenARequiredItemIsMissing() throws Exception {
        Path config = Files.writeString(tmp.resolve("empty.conf"), "");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        // Off loopback without credentials fails on any machine; nothing is started.
        int exit = Xlpc.run(new String[] {"--config", config.toString(), "daemon", "--check", "--ephemeral",
            "--listen", "0.0.0.0:0"}, new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(1, exit, err.toString());
        assertTrue(out.toString().startsWith("CHECK "), out.toString());
        assertTrue(out.toString().contains("NOT READY"), out.toString());
        assertEquals("", err.toString());
    }
}
