package org.xenpostcopy.it;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.xenpostcopy.migration.daemon.HostAgent;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;

/** Two emulated hosts, each with its migration agent listening on loopback. */
final class TwoHosts implements AutoCloseable {
    final EmulatedXenHost sourceHost = new EmulatedXenHost("source");
    final EmulatedXenHost destinationHost = new EmulatedXenHost("destination");
    final HostAgent source = new HostAgent(sourceHost, new InetSocketAddress("127.0.0.1", 0));
    final HostAgent destination = new HostAgent(destinationHost, new InetSocketAddress("127.0.0.1", 0));

    /** Boots a guest on the source and waits until its program has done {@code warmupOps} operations. */
    DomainId bootGuest(String name, long memoryMiB, String workload, long warmupOps) {
        DomainId d = sourceHost.domains().create(DomainConfig.ofMiB(name, memoryMiB, workload, 42), true);
        sourceHost.domains().unpause(d);
        Await.until(() -> sourceHost.guestOps(d) >= warmupOps, Duration.ofMinutes(2),
                () -> workload + " warming up: " + sourceHost.guestOps(d) + " of " + warmupOps + " ops");
        return d;
    }

    @Override
    public void close() {
        source.close();
        destination.close();
        sourceHost.close();
        destinationHost.close();
    }
}
