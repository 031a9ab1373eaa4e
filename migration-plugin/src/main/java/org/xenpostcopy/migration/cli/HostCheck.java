package org.xenpostcopy.migration.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.migration.tls.PeerAllowList;
import org.xenpostcopy.migration.tls.TlsCredentials;
import org.xenpostcopy.migration.tls.TlsProvider;
import org.xenpostcopy.migration.tls.TlsSetupException;

/**
 * {@code xlpc daemon --check}: what this host lacks for the daemon as configured, one row per item, without starting
 * anything. An item the daemon cannot do without (the hypervisor, its paging interface and xenstored for
 * {@code --native}; credentials off loopback; the state directory; free memory) fails the check; one it can do
 * without, or cannot be judged from here, is a warning. Items a configuration does not use are shown as such, so the
 * same table answers "could this machine be a native host?".
 */
final class HostCheck {
    /** Below this, a host cannot take in a guest of any useful size (the scenario guests are 128 MiB to 1 GiB). */
    static final long MIN_FREE_KIB = 512 * 1024;
    /** Certificates that expire sooner than this are a warning: renew before a migration fails its handshake. */
    static final Duration RENEW_BEFORE = Duration.ofDays(30);
    static final Path PRIVCMD = Path.of("/dev/xen/privcmd");

    /** How a row came out. {@link #FAIL} is the only one that makes the check exit non-zero. */
    enum Status {
        OK("ok"), FAIL("FAIL"), WARN("warn"), UNUSED("-");

        final String label;

        Status(String label) {
            this.label = label;
        }
    }

    /** One row of the table. */
    record Item(String name, Status status, String detail) {
    }

    /**
     * What the daemon would run as, from its flags and the configuration.
     *
     * @param listen the listen address as given, for messages
     * @param loopback whether it is a loopback address (plain TCP allowed there)
     * @param stateDir where the daemon keeps what must survive it: an emulated host's domains (empty: in memory
     *     only) or a native host's session journal
     */
    record Setup(boolean nativeHost, String listen, boolean loopback, Optional<Path> tlsDir, PeerAllowList tlsAllow,
                 Optional<Path> stateDir, String tlsProvider) {
    }

    private final HostProbes probes;
    private final Setup setup;

    HostCheck(HostProbes probes, Setup setup) {
        this.probes = probes;
        this.setup = setup;
    }

    List<Item> run() {
        List<Item> items = new ArrayList<>();
        items.add(hypervisor());
        items.add(privcmd());
        items.add(paging());
        items.add(xenstored());
        items.add(freeMemory());
        items.add(tls());
        items.add(stateDirectory());
        return items;
    }

    static boolean passed(List<Item> items) {
        return items.stream().noneMatch(i -> i.status() == Status.FAIL);
    }

    /** The table, then one line with the verdict. */
    static String format(List<Item> items) {
        int name = "CHECK".length();
        for (Item i : items) {
            name = Math.max(name, i.name().length());
        }
        StringBuilder out = new StringBuilder(String.format("%-" + name + "s  %-6s %s%n", "CHECK", "STATUS", "DETAIL"));
        for (Item i : items) {
            out.append(String.format("%-" + name + "s  %-6s %s%n", i.name(), i.status().label, i.detail()));
        }
        long failed = items.stream().filter(i -> i.status() == Status.FAIL).count();
        long warned = items.stream().filter(i -> i.status() == Status.WARN).count();
        out.append(failed == 0 ? "ready: nothing required is missing" : "NOT READY: " + failed + " required item"
                + (failed == 1 ? "" : "s") + " missing");
        out.append(warned == 0 ? "" : " (" + warned + " warning" + (warned == 1 ? "" : "s") + ")").append('\n');
        return out.toString();
    }

    /** For the items only a native host needs: required with --native, shown but unused otherwise. */
    private Item xenItem(String name, boolean present, String detail) {
        if (present) {
            return new Item(name, Status.OK, detail);
        }
        return setup.nativeHost() ? new Item(name, Status.FAIL, detail)
                : new Item(name, Status.UNUSED, detail + " (needed with --native only)");
    }

    private Item hypervisor() {
        Optional<HostProbes.Found> h = probes.hypervisor();
        if (h.isPresent() && h.get().value().equals("xen")) {
            return new Item("Xen hypervisor", Status.OK, "xen (" + h.get().source() + ")");
        }
        return xenItem("Xen hypervisor", false, h.map(f -> "this kernel runs on " + f.value() + ", not Xen ("
                + f.source() + ")").orElse("none: /sys/hypervisor/type and /proc/xen are missing"));
    }

    private Item privcmd() {
        boolean present = probes.exists(PRIVCMD);
        return xenItem("Xen control device", present, PRIVCMD + (present ? "" : " is missing (xen-utils, xenfs, a dom0 kernel)"));
    }

    /** Post-copy's destination pages a domain in through the paging ring, which Debian's Xen is built without. */
    private Item paging() {
        if (!setup.nativeHost() && probes.hypervisor().isEmpty()) {
            return new Item("hypervisor paging", Status.UNUSED, "no hypervisor here; the emulated host pages itself");
        }
        Optional<HostProbes.Found> config = probes.hypervisorConfig();
        if (config.isEmpty()) {
            return new Item("hypervisor paging", setup.nativeHost() ? Status.WARN : Status.UNUSED, "cannot tell: no "
                    + "build configuration (xenhypfs cat /buildinfo/config, /boot/xen-<version>.config); a migration "
                    + "into this host fails at its start if CONFIG_MEM_PAGING is off");
        }
        boolean on = config.get().value().lines().anyMatch(l -> l.trim().equals("CONFIG_MEM_PAGING=y"));
        return xenItem("hypervisor paging", on, on ? "CONFIG_MEM_PAGING=y (" + config.get().source() + ")"
                : "CONFIG_MEM_PAGING is off in " + config.get().source() + ": xc_mem_paging_* answer ENOSYS; "
                + "rebuild Xen with patches/xen/mem-paging.config");
    }

    private Item xenstored() {
        if (!setup.nativeHost() && probes.hypervisor().isEmpty()) {
            return new Item("xenstored", Status.UNUSED, "the emulated host has its own xenstore");
        }
        try {
            HostProbes.Found dom0 = probes.xenstoreRead("/local/domain/0/name");
            return new Item("xenstored", Status.OK, "answers at " + dom0.source() + " (dom0 is '" + dom0.value() + "')");
        } catch (IOException e) {
            return xenItem("xenstored", false, e.getMessage());
        }
    }

    private Item freeMemory() {
        OptionalLong free = setup.nativeHost() ? probes.hypervisorFreeKiB() : probes.availableKiB();
        String source = setup.nativeHost() ? "Xen's free_memory (xl info)" : "MemAvailable";
        if (free.isEmpty()) {
            return new Item("free memory", Status.WARN, "cannot tell: " + source + " could not be read");
        }
        String detail = free.getAsLong() / 1024 + " MiB (" + source + ")";
        return free.getAsLong() >= MIN_FREE_KIB ? new Item("free memory", Status.OK, detail)
                : new Item("free memory", Status.FAIL, detail + ": below " + MIN_FREE_KIB / 1024 + " MiB, no room "
                + "for a guest to arrive");
    }

    private Item tls() {
        if (setup.tlsDir().isEmpty()) {
            return setup.loopback()
                    ? new Item("TLS credentials", Status.UNUSED, "none: plain TCP, allowed on loopback (" + setup.listen() + ")")
                    : new Item("TLS credentials", Status.FAIL, "listening on " + setup.listen() + " (not loopback) "
                    + "needs them; " + SecurityChoice.HOW_TO_MAKE);
        }
        Path dir = setup.tlsDir().get();
        try {
            // What the daemon does at its start: every file read, both pairs usable, the contexts built.
            TlsCredentials credentials = TlsCredentials.load(dir);
            if (!credentials.canServe()) {
                return new Item("TLS credentials", Status.FAIL, dir + ": " + TlsCredentials.SERVER_CERT + " and "
                        + TlsCredentials.SERVER_KEY + " are missing; a daemon serves with them");
            }
            TlsProvider provider = TlsProvider.parse(setup.tlsProvider());
            ChannelSecurity.tls(credentials, setup.tlsAllow(), provider);
            X509Certificate ca = certificates(dir.resolve(TlsCredentials.CA_CERT)).get(0);
            Instant until = ca.getNotAfter().toInstant();
            for (String name : new String[] {TlsCredentials.SERVER_CERT, TlsCredentials.CLIENT_CERT}) {
                X509Certificate own = certificates(dir.resolve(name)).get(0);
                Instant now = probes.now();
                if (now.isBefore(own.getNotBefore().toInstant()) || now.isAfter(own.getNotAfter().toInstant())) {
                    return new Item("TLS credentials", Status.FAIL, dir.resolve(name) + " is not valid now (valid "
                            + day(own.getNotBefore().toInstant()) + " to " + day(own.getNotAfter().toInstant()) + ")");
                }
                try {
                    own.verify(ca.getPublicKey());
                } catch (GeneralSecurityException e) {
                    return new Item("TLS credentials", Status.FAIL, dir.resolve(name) + " is not signed by "
                            + dir.resolve(TlsCredentials.CA_CERT) + " (peers will refuse it)");
                }
                if (own.getNotAfter().toInstant().isBefore(until)) {
                    until = own.getNotAfter().toInstant();
                }
            }
            String detail = dir + ": server and client certificates signed by "
                    + ca.getSubjectX500Principal().getName() + ", valid until " + day(until) + "; records by "
                    + provider.label();
            return until.isBefore(probes.now().plus(RENEW_BEFORE))
                    ? new Item("TLS credentials", Status.WARN, detail + ": renew them soon")
                    : new Item("TLS credentials", Status.OK, detail);
        } catch (TlsSetupException | IOException | GeneralSecurityException e) {
            return new Item("TLS credentials", Status.FAIL, e.getMessage());
        }
    }

    private Item stateDirectory() {
        if (setup.stateDir().isEmpty()) {
            return new Item("state directory", Status.UNUSED, "none: domains in memory only (--ephemeral or "
                    + "state-dir = none)");
        }
        Path dir = setup.stateDir().get();
        if (probes.writable(dir)) {
            return new Item("state directory", Status.OK, dir + " is writable");
        }
        // An emulated host cannot start without its state directory; a native one only loses its journal.
        return setup.nativeHost()
                ? new Item("state directory", Status.WARN, dir + " is not writable: no session journal, so a "
                + "migration this daemon's death cuts short cannot be finished by the next one")
                : new Item("state directory", Status.FAIL, dir + " is not writable (nor can it be created)");
    }

    private static List<X509Certificate> certificates(Path pem) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            List<X509Certificate> certs = new ArrayList<>();
            for (java.security.cert.Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                certs.add((X509Certificate) c);
            }
            if (certs.isEmpty()) {
                throw new IOException(pem + " holds no certificate");
            }
            return certs;
        }
    }

    private static String day(Instant t) {
        return DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC).format(t);
    }
}
