package org.xenpostcopy.migration.bench.paper;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.daemon.HostAgent;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.XenStore;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;

/**
 * Two emulated hosts in this JVM, each with its migration agent on loopback, and one guest that moves between them:
 * booted on the first, migrated to whichever host it is not on. With {@code counted}, every connection of a
 * migration, either way, passes a {@link CountingRelay}, so the bytes on the wire can be read while it runs.
 */
final class HostPair implements AutoCloseable {
    static final String GUEST = "paper-guest";
    private static final long WARM_UP_LIMIT_NANOS = TimeUnit.MINUTES.toNanos(5);

    private final EmulatedXenHost[] hosts = new EmulatedXenHost[2];
    private final HostAgent[] agents = new HostAgent[2];
    private final CountingRelay[] relays = new CountingRelay[2];   // relays[i] stands in front of agents[i]
    private int here = -1;
    private DomainId guest;

    HostPair(boolean counted) {
        try {
            for (int i = 0; i < 2; i++) {
                hosts[i] = new EmulatedXenHost("paper-" + (char) ('a' + i));
                agents[i] = new HostAgent(hosts[i], new InetSocketAddress("127.0.0.1", 0));
                if (counted) {
                    relays[i] = new CountingRelay("to-" + (char) ('a' + i), agents[i].address());
                    agents[i].advertiseAs(relays[i].address());
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Creates and starts the guest on the first host. */
    void boot(long memoryMiB, String workload, long seed) {
        if (guest != null) {
            throw new IllegalStateException("this pair already has its guest");
        }
        guest = hosts[0].domains().create(DomainConfig.ofMiB(GUEST, memoryMiB, workload, seed), true);
        here = 0;
        hosts[0].domains().unpause(guest);
    }

    /** Waits until the guest has completed {@code ops} operations since it booted. */
    void warmUp(long ops) {
        long deadline = System.nanoTime() + WARM_UP_LIMIT_NANOS;
        while (guestOps() < ops) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the guest did not reach " + ops + " operations in 5 minutes");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /**
     * Operations the guest has completed, wherever it is now: during a migration both hosts have a domain of that
     * name and the count travels in its registers, so the larger of the two is the guest's.
     */
    long guestOps() {
        long ops = -1;
        for (EmulatedXenHost h : hosts) {
            ops = Math.max(ops, opsOn(h));
        }
        return ops;
    }

    private static long opsOn(EmulatedXenHost h) {
        try {
            Optional<DomainId> d = h.domains().lookup(GUEST);
            return d.isPresent() ? h.guestOps(d.get()) : -1;
        } catch (RuntimeException e) {
            return -1;   // the domain went away between the lookup and the read: it is on the other host now
        }
    }

    /** Migrates the guest to the other host and returns the source's report. */
    MigrationReport migrateAway(MigrationOptions options) {
        int there = 1 - here;
        InetSocketAddress to = relays[there] != null ? relays[there].address() : agents[there].address();
        MigrationReport report = agents[here].migrate(guest, to, options, MigrationProgress.NONE);
        guest = DomainId.of(report.destinationDomain());
        here = there;
        return report;
    }

    /** The guest, on the host it is on now. */
    DomainId guest() {
        return guest;
    }

    /** The xenstore of the host the guest is on now. */
    XenStore store() {
        return hosts[here].store();
    }

    /** Whether the relays count this pair's traffic. */
    boolean counted() {
        return relays[0] != null;
    }

    /** Bytes on the wire so far, every connection both ways (0 unless {@link #counted()}). */
    long wireBytes() {
        long sum = 0;
        for (CountingRelay r : relays) {
            if (r != null) {
                sum += r.forward() + r.back();
            }
        }
        return sum;
    }

    @Override
    public void close() {
        for (int i = 1; i >= 0; i--) {
            if (relays[i] != null) {
                relays[i].close();
            }
            if (agents[i] != null) {
                agents[i].close();
            }
            if (hosts[i] != null) {
                hosts[i].close();
            }
        }
    }
}
