package org.xenpostcopy.it;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.balloon.BalloonPolicy;
import org.xenpostcopy.migration.daemon.HostAgent;
import org.xenpostcopy.migration.daemon.MigrationWatcher;
import org.xenpostcopy.migration.protocol.ServerLimits;
import org.xenpostcopy.migration.source.SessionJournal;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;

/** Two emulated hosts, each with its migration agent listening on loopback. */
final class TwoHosts implements AutoCloseable {
    final EmulatedXenHost sourceHost = new EmulatedXenHost("source");
    final EmulatedXenHost destinationHost = new EmulatedXenHost("destination");
    final HostAgent source;
    final HostAgent destination;

    /** Plain TCP, as a loopback lab runs. */
    TwoHosts() {
        this(ChannelSecurity.plain(), ChannelSecurity.plain());
    }

    /** Each agent's connections, in and out, secured as given. */
    TwoHosts(ChannelSecurity sourceSecurity, ChannelSecurity destinationSecurity) {
        source = new HostAgent(sourceHost, new InetSocketAddress("127.0.0.1", 0), sourceSecurity);
        destination = new HostAgent(destinationHost, new InetSocketAddress("127.0.0.1", 0), destinationSecurity);
    }

    /** Plain TCP, each agent telling its watcher of its migrations (a daemon's metrics). */
    TwoHosts(MigrationWatcher sourceWatcher, MigrationWatcher destinationWatcher) {
        source = agent(sourceHost, sourceWatcher);
        destination = agent(destinationHost, destinationWatcher);
    }

    private static HostAgent agent(EmulatedXenHost host, MigrationWatcher watcher) {
        return new HostAgent(host, new InetSocketAddress("127.0.0.1", 0), BalloonPolicy.defaults(), "",
                ChannelSecurity.plain(), SessionJournal.none(), ServerLimits.defaults(), watcher);
    }

    /** Boots a guest on the source and waits until its program has done {@code warmupOps} operations. */
    DomainId bootGuest(String name, long memoryMiB, String workload, long warmupOps) {
        return bootGuest(name, memoryMiB, 1, workload, warmupOps);
    }

    /** The same with {@code vcpus} vCPUs sharing the workload. */
    DomainId bootGuest(String name, long memoryMiB, int vcpus, String workload, long warmupOps) {
        DomainId d = sourceHost.domains().create(DomainConfig.ofMiB(name, memoryMiB, vcpus, workload, 42), true);
        sourceHost.domains().unpause(d);
        Await.until(() -> sourceHost.guestOps(d) >= warmupOps, Duration.ofMinutes(2),
                () -> workload + " warming up: " + sourceHost.guestOps(d) + " of " + warmupOps + " ops");
        return d;
    }

    /** Starts migrating {@code d} to the destination on another thread. */
    CompletableFuture<MigrationReport> startMigration(DomainId d, MigrationOptions options) {
        return CompletableFuture.supplyAsync(() -> source.migrate(d, destination.address(), options,
                MigrationProgress.NONE));
    }

    /** Waits until the guest {@code name} runs on the destination (the switch is done); returns its id there. */
    DomainId awaitRunningAtDestination(String name, CompletableFuture<?> migration) {
        Await.until(() -> migration.isDone() || destinationHost.domains().lookup(name)
                        .map(id -> destinationHost.domains().info(id).state() == DomainInfo.State.RUNNING)
                        .orElse(false),
                Duration.ofSeconds(120), () -> "the guest to run on the destination");
        return destinationHost.domains().lookup(name).orElseThrow();
    }

    @Override
    public void close() {
        source.close();
        destination.close();
        sourceHost.close();
        destinationHost.close();
    }
}
