package org.xenpostcopy.migration.cli;

import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import org.xenpostcopy.balloon.BalloonPolicy;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.daemon.DaemonMetrics;
import org.xenpostcopy.migration.daemon.HostAgent;
import org.xenpostcopy.migration.daemon.MetricsEndpoint;
import org.xenpostcopy.migration.source.SessionJournal;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;
import org.xenpostcopy.xen.nativehost.NativeXenHost;
import org.xenpostcopy.xen.nativehost.XlConfigPolicy;
import org.xenpostcopy.xen.nativehost.XlToolstack;
import org.xenpostcopy.xen.xswire.XsWireServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code xlpc daemon}: one host's agent, serving migrations and the control commands until SIGTERM. */
@Command(name = "daemon", description = "Run this host's agent: serves migrations and xlpc commands until stopped.")
final class DaemonCommand implements Callable<Integer> {
    /** Where a native host keeps its session journal (Xen keeps the domains). */
    private static final Path NATIVE_STATE_DIR = Path.of("/var/lib/xlpc");

    @ParentCommand
    Xlpc top;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Address to serve on (default from the config, "
            + "else 127.0.0.1:7410; port 0 picks a free one).")
    String listen;

    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT|off", description = "Serve GET /metrics (Prometheus "
            + "text format, plain HTTP) here; off serves none (default from the config's metrics.listen, else "
            + "127.0.0.1 on the daemon's port + 1). The page names domains and phases: firewall it off loopback.")
    String metricsListen;

    @Option(names = "--name", defaultValue = "xlpc", description = "Name of the emulated host (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--native", description = "Drive the real Xen hypervisor of this dom0 instead of an emulated host.")
    boolean nativeHost;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Emulated hosts: keep each domain's memory and "
            + "state in files under DIR, so domains outlive the daemon and a restarted daemon re-attaches them "
            + "(default from the config's state-dir or $XLPC_STATE_DIR, else /dev/shm/xlpc/<name> where /dev/shm exists).")
    Path stateDir;

    @Option(names = "--memory", paramLabel = "MiB", defaultValue = "0", description = "Emulated hosts: the host's "
            + "memory for guests, as a real host's RAM: a domain that does not fit is refused, and the rest is the free "
            + "memory it reports (what xlpc evacuate places by); 0: what the machine has (default: ${DEFAULT-VALUE}).")
    long memoryMiB;

    @Option(names = "--ephemeral", description = "Emulated hosts: keep domains in memory only; they die with the daemon.")
    boolean ephemeral;

    @Option(names = "--xl-config-dir", paramLabel = "DIR", defaultValue = "/etc/xen",
            description = "Native hosts: where a domain's xl config is, as <DIR>/<name>.cfg. An incoming domain is built"
                    + " from this host's own <name>.cfg; only without one from the config that came with the migration"
                    + " (default: ${DEFAULT-VALUE}).")
    Path xlConfigDir;

    @Option(names = "--xl-allow", paramLabel = "WHAT", split = ",", description = "Native hosts: what a config that"
            + " comes with a migration may use beyond the guest's own shape (name, type, memory, vcpus, on_*, extra,"
            + " vif without a script and the like): setting names such as kernel, ramdisk, disk, bootloader, pci;"
            + " script (a vif's own hotplug script); escapes (backslashes in values); or all (default: none; such a"
            + " config is refused).")
    Set<String> xlAllow = Set.of();

    @Option(names = "--xenstore-socket", paramLabel = "PATH", description = "Also serve the emulated host's xenstore on "
            + "this unix socket, in xenstored's protocol (for xenstore-* tools: XENSTORED_PATH=PATH).")
    Path xenstoreSocket;

    @Option(names = "--xenstore-allow", paramLabel = "USERS", description = "Users (comma-separated) who may use "
            + "the xenstore socket besides root and the daemon's own user (default: the config's xenstore.allow). "
            + "The socket is created 0600 and each connection's peer is checked with SO_PEERCRED.")
    String xenstoreAllow;

    @Option(names = "--insecure", description = "Plain TCP on purpose, without TLS credentials: loopback addresses "
            + "only (a lab); any other listen address refuses to start without --tls-dir.")
    boolean insecure;

    @Option(names = "--dsb-interval-ms", defaultValue = "5000", paramLabel = "MS",
            description = "Self-ballooning interval (default: ${DEFAULT-VALUE}; the paper found 4-10 s best).")
    long dsbIntervalMs;

    @Option(names = "--check", description = "Check what this host lacks for the daemon as configured by these flags "
            + "and the config (hypervisor, its paging support, xenstored, free memory, TLS credentials, state "
            + "directory), print a table and exit: 0 if nothing required is missing, else 1. Starts nothing.")
    boolean check;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        XlpcConfig config = top.config();
        InetSocketAddress bind = listen == null ? config.listen() : XlpcConfig.address(listen, "--listen");
        Optional<InetSocketAddress> metricsBind = metricsListen != null
                ? XlpcConfig.metricsAddress(metricsListen, bind, "--metrics-listen")
                : XlpcConfig.metricsAddress(config.metricsListen(), bind, "metrics.listen");
        if (check) {
            return check(config, bind, new LiveHostProbes());
        }
        // Before the host is opened: a daemon that may not listen here must not touch the hypervisor either.
        ChannelSecurity security = SecurityChoice.forDaemon(config, bind, insecure);
        XenHost host = openHost(config);
        BalloonPolicy policy;
        try {
            policy = BalloonPolicy.defaults().withInterval(java.time.Duration.ofMillis(dsbIntervalMs));
        } catch (IllegalArgumentException e) {
            throw new CliException("--dsb-interval-ms: " + e.getMessage(), 2, e);
        }
        DaemonMetrics metrics = new DaemonMetrics();
        HostAgent agent;
        try {
            agent = new HostAgent(host, new InetSocketAddress(bind.getHostString(), bind.getPort()), policy,
                    config.token(), security, journal(config), config.limits(), metrics);
        } catch (IllegalStateException e) {
            host.close();
            throw new CliException(e.getMessage());
        }
        metrics.countPhases(agent::census);
        MetricsEndpoint endpoint = null;
        if (metricsBind.isPresent()) {
            try {
                endpoint = MetricsEndpoint.serve(metrics, metricsBind.get());
            } catch (UncheckedIOException e) {
                agent.close();
                host.close();
                throw new CliException(e.getMessage() + " (--metrics-listen HOST:PORT elsewhere, or off)");
            }
        }
        MetricsEndpoint served = endpoint;
        XsWireServer xenstored = null;
        if (xenstoreSocket != null) {
            try {
                xenstored = new XsWireServer(host.store(), xenstoreSocket, xenstoreAllow == null
                        ? config.xenstoreAllow() : XlpcConfig.users(xenstoreAllow));
            } catch (java.io.IOException e) {
                if (served != null) {
                    served.close();
                }
                agent.close();
                host.close();
                throw new CliException("cannot serve xenstore on " + xenstoreSocket + ": " + e.getMessage());
            }
        }
        XsWireServer xs = xenstored;
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            System.err.println("xlpc daemon: stopping");
            if (xs != null) {
                xs.close();
            }
            if (served != null) {
                served.close();
            }
            agent.close();
            host.close();
            stopped.countDown();
        }, "xlpc-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        InetSocketAddress a = agent.address();
        // The first line on stdout is for scripts (and tests) that start a daemon on port 0.
        System.out.println("listening on " + a.getHostString() + ":" + a.getPort());
        System.out.flush();
        System.err.println("xlpc daemon: " + host.describe() + ", " + SecurityChoice.describe(config, security)
                + (config.token().isEmpty() ? ", no token" : ", token required")
                + (xs == null ? "" : ", xenstore on " + xs.path())
                + (served == null ? ", no metrics" : ", metrics on http://" + served.address().getHostString() + ":"
                        + served.address().getPort() + "/metrics"));
        stopped.await();
        return 0;
    }

    /** {@code --check}: the table on stdout; exit 1 when a required item is missing. */
    private int check(XlpcConfig config, InetSocketAddress bind, HostProbes probes) {
        Optional<Path> state = nativeHost ? Optional.of(NATIVE_STATE_DIR) : stateDirectory(config);
        List<HostCheck.Item> items = new HostCheck(probes, new HostCheck.Setup(nativeHost,
                bind.getHostString() + ":" + bind.getPort(), SecurityChoice.isLoopback(bind), config.tlsDir(),
                config.tlsAllow(), state, config.tlsProvider())).run();
        spec.commandLine().getOut().print(HostCheck.format(items));
        spec.commandLine().getOut().flush();
        return HostCheck.passed(items) ? 0 : 1;
    }

    private XenHost openHost(XlpcConfig config) {
        if (!nativeHost) {
            return openEmulatedHost(config);
        }
        if (stateDir != null || ephemeral) {
            throw new CliException("--state-dir and --ephemeral are for emulated hosts: a native host's domains live "
                    + "in Xen", 2, null);
        }
        try {
            return NativeXenHost.open(new XlToolstack(xlConfigDir, "xl", new XlConfigPolicy(xlAllow)));
        } catch (XenException e) {
            String m = e.getMessage();
            // "xc_interface_open: ENOENT (no Xen hypervisor: ...)" -> the sentence in the brackets
            int open = m.indexOf('(');
            throw new CliException((open > 0 && m.endsWith(")") ? m.substring(open + 1, m.length() - 1) : m)
                    + (m.contains("no Xen hypervisor") ? " (leave out --native for an emulated host)" : ""));
        }
    }

    /**
     * The session journal, beside the domains it is about: in the state directory of a persistent emulated host
     * (a daemon on an in-memory host has nothing a restart could finish), in /var/lib/xlpc on a native one, where
     * Xen keeps the paused domain.
     */
    private SessionJournal journal(XlpcConfig config) {
        Optional<Path> home = nativeHost ? Optional.of(NATIVE_STATE_DIR) : stateDirectory(config);
        if (home.isEmpty()) {
            return SessionJournal.none();
        }
        try {
            return SessionJournal.in(home.get().resolve("journal"));
        } catch (MigrationException e) {
            System.err.println("xlpc daemon: " + e.getMessage() + "; a migration cut short by this daemon's death"
                    + " cannot be finished by the next one");
            return SessionJournal.none();
        }
    }

    /** Persistent, in {@link #stateDirectory}, unless that is empty. Prints one line per domain it re-attached. */
    private EmulatedXenHost openEmulatedHost(XlpcConfig config) {
        if (memoryMiB < 0) {
            throw new CliException("--memory must be 0 (the machine's) or a number of MiB, not " + memoryMiB, 2, null);
        }
        Optional<Path> dir = stateDirectory(config);
        if (dir.isEmpty()) {
            return new EmulatedXenHost(name, memoryMiB);
        }
        EmulatedXenHost host;
        try {
            host = EmulatedXenHost.persistent(name, dir.get(), memoryMiB);
        } catch (IllegalStateException | UncheckedIOException e) {
            throw new CliException(e.getMessage());
        }
        for (DomainInfo d : host.reattached()) {
            System.err.printf("xlpc daemon: re-attached %s (%s, %s, %d MiB)%n", d.name(), d.id(),
                    d.state().name().toLowerCase(Locale.ROOT), d.maxPages() * 4 / 1024);
        }
        return host;
    }

    /**
     * Where the emulated host keeps its domains; empty: in memory only. Persistent unless told otherwise, as a Xen
     * domain outlives its toolstack: {@code --ephemeral} &gt; {@code --state-dir} &gt; the configured
     * {@code state-dir} ({@code none}: in memory) &gt; {@code /dev/shm/xlpc/<name>} where {@code /dev/shm} exists.
     */
    private Optional<Path> stateDirectory(XlpcConfig config) {
        if (ephemeral && stateDir != null) {
            throw new CliException("--ephemeral and --state-dir exclude each other", 2, null);
        }
        if (ephemeral) {
            return Optional.empty();
        }
        if (stateDir != null) {
            return Optional.of(stateDir);
        }
        if (config.stateDir().isPresent()) {
            String configured = config.stateDir().get();
            return configured.equals(XlpcConfig.NO_STATE_DIR) ? Optional.empty() : Optional.of(Path.of(configured));
        }
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) ? Optional.of(shm.resolve("xlpc").resolve(name)) : Optional.empty();
    }
}
