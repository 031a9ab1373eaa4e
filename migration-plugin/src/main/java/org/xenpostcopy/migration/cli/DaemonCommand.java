package org.xenpostcopy.migration.cli;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import org.xenpostcopy.balloon.BalloonPolicy;
import org.xenpostcopy.migration.daemon.HostAgent;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;
import org.xenpostcopy.xen.nativehost.NativeXenHost;
import org.xenpostcopy.xen.nativehost.XlToolstack;
import org.xenpostcopy.xen.xswire.XsWireServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code xlpc daemon}: one host's agent, serving migrations and the control commands until SIGTERM. */
@Command(name = "daemon", description = "Run this host's agent: serves migrations and xlpc commands until stopped.")
final class DaemonCommand implements Callable<Integer> {
    @ParentCommand
    Xlpc top;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Address to serve on (default from the config, "
            + "else 127.0.0.1:7410; port 0 picks a free one).")
    String listen;

    @Option(names = "--name", defaultValue = "xlpc", description = "Name of the emulated host (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--native", description = "Drive the real Xen hypervisor of this dom0 instead of an emulated host.")
    boolean nativeHost;

    @Option(names = "--xl-config-dir", paramLabel = "DIR", defaultValue = "/etc/xen",
            description = "Native hosts: where a domain's xl config is, as <DIR>/<name>.cfg; it travels with a "
                    + "migration so the destination's xl can build the domain (default: ${DEFAULT-VALUE}).")
    Path xlConfigDir;

    @Option(names = "--xenstore-socket", paramLabel = "PATH", description = "Also serve the emulated host's xenstore on "
            + "this unix socket, in xenstored's protocol (for xenstore-* tools: XENSTORED_PATH=PATH).")
    Path xenstoreSocket;

    @Option(names = "--insecure", description = "Plain TCP on purpose, without TLS credentials: loopback addresses "
            + "only (a lab); any other listen address refuses to start without --tls-dir.")
    boolean insecure;

    @Option(names = "--dsb-interval-ms", defaultValue = "5000", paramLabel = "MS",
            description = "Self-ballooning interval (default: ${DEFAULT-VALUE}; the paper found 4-10 s best).")
    long dsbIntervalMs;

    @Override
    public Integer call() throws InterruptedException {
        XlpcConfig config = top.config();
        InetSocketAddress bind = listen == null ? config.listen() : XlpcConfig.address(listen, "--listen");
        // Before the host is opened: a daemon that may not listen here must not touch the hypervisor either.
        ChannelSecurity security = SecurityChoice.forDaemon(config, bind, insecure);
        XenHost host = openHost();
        BalloonPolicy policy;
        try {
            policy = BalloonPolicy.defaults().withInterval(java.time.Duration.ofMillis(dsbIntervalMs));
        } catch (IllegalArgumentException e) {
            throw new CliException("--dsb-interval-ms: " + e.getMessage(), 2, e);
        }
        HostAgent agent;
        try {
            agent = new HostAgent(host, new InetSocketAddress(bind.getHostString(), bind.getPort()), policy,
                    config.token(), security);
        } catch (IllegalStateException e) {
            host.close();
            throw new CliException(e.getMessage());
        }
        XsWireServer xenstored = null;
        if (xenstoreSocket != null) {
            try {
                xenstored = new XsWireServer(host.store(), xenstoreSocket);
            } catch (java.io.IOException e) {
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
                + (xs == null ? "" : ", xenstore on " + xs.path()));
        stopped.await();
        return 0;
    }

    private XenHost openHost() {
        if (!nativeHost) {
            return new EmulatedXenHost(name);
        }
        try {
            return NativeXenHost.open(new XlToolstack(xlConfigDir, "xl"));
        } catch (XenException e) {
            String m = e.getMessage();
            // "xc_interface_open: ENOENT (no Xen hypervisor: ...)" -> the sentence in the brackets
            int open = m.indexOf('(');
            throw new CliException((open > 0 && m.endsWith(")") ? m.substring(open + 1, m.length() - 1) : m)
                    + (m.contains("no Xen hypervisor") ? " (leave out --native for an emulated host)" : ""));
        }
    }
}
