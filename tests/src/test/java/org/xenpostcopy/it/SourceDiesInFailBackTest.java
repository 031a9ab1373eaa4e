package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xenpostcopy.balloon.BalloonPolicy;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.daemon.HostAgent;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.migration.source.PageServer;
import org.xenpostcopy.migration.source.SessionJournal;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DirtyLog;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GuestMemory;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.P2mType;
import org.xenpostcopy.xen.PagingChannel;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.XenStore;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;

/**
 * The source daemon dies in the middle of a fail-back (issue 14): the destination fell off the network, the lease ran
 * out, the source journaled FAILING_BACK with the checkpoint and began writing it over its paused copy — and died
 * there, the copy half restored. On a persistent host, as a real restart: the old agent's host stops answering after
 * a few restored pages (its process "dies"), the host is detached and re-attached from its state directory, and a new
 * agent starts on the same journal. It must restore the copy again from the checkpoint kept on disk and resume it
 * once, the oracle must find the guest whole, and the destination, once it can hear again, must be told it was taken
 * back and destroy its copy: one guest, never two, never none.
 */
class SourceDiesInFailBackTest {
    private static final int STALL_MS = 500;
    private static final int LEASE_MS = 1500;
    /** Restored pages the dying daemon writes before it dies (a checkpoint of this guest has hundreds). */
    private static final int WRITES_BEFORE_DEATH = 1;

    @TempDir
    Path state;
    @TempDir
    Path journal;

    /** The old daemon's view of its host: after {@code writes} guest-memory writes, every call fails, as if dead. */
    private static final class DyingHost implements XenHost {
        private final XenHost host;
        private final AtomicInteger writesLeft;
        volatile boolean died;

        DyingHost(XenHost host, int writes) {
            this.host = host;
            this.writesLeft = new AtomicInteger(writes);
        }

        @Override
        public String describe() {
            return host.describe();
        }

        @Override
        public DomainControl domains() {
            return host.domains();
        }

        @Override
        public GuestMemory memory() {
            GuestMemory m = host.memory();
            return new GuestMemory() {
                @Override
                public void read(DomainId domain, Gfn gfn, ByteBuffer dst) {
                    m.read(domain, gfn, dst);
                }

                @Override
                public void write(DomainId domain, Gfn gfn, ByteBuffer src) {
                    if (writesLeft.getAndDecrement() <= 0) {
                        died = true;
                        throw new IllegalStateException("the source daemon dies here, in the middle of the restore");
                    }
                    m.write(domain, gfn, src);
                }

                @Override
                public long gfnCount(DomainId domain) {
                    return m.gfnCount(domain);
                }

                @Override
                public P2mType typeOf(DomainId domain, Gfn gfn) {
                    return m.typeOf(domain, gfn);
                }
            };
        }

        @Override
        public PagingChannel paging() {
            return host.paging();
        }

        @Override
        public DirtyLog dirtyLog() {
            return host.dirtyLog();
        }

        @Override
        public XenStore store() {
            return host.store();
        }

        @Override
        public Optional<GuestProbe> guestProbe() {
            return host.guestProbe();
        }

        @Override
        public void close() {
            host.close();
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {21, 22})
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void theNextDaemonRestoresTheHalfRestoredCopyAgainAndResumesItOnce(long seed) throws Exception {
        LogWatch checkpointed = new LogWatch(PageServer.class, "first checkpoint committed");
        EmulatedXenHost sourceHost = EmulatedXenHost.persistent("source", state);
        EmulatedXenHost destinationHost = new EmulatedXenHost("destination");
        DyingHost dying = new DyingHost(sourceHost, WRITES_BEFORE_DEATH);
        HostAgent destination = new HostAgent(destinationHost, new InetSocketAddress("127.0.0.1", 0));
        HostAgent oldSource = new HostAgent(dying, new InetSocketAddress("127.0.0.1", 0), BalloonPolicy.defaults(),
                "", ChannelSecurity.plain(), SessionJournal.in(journal));
        // Struck by hand once a checkpoint is committed: a fail-back without one writes no page to die in.
        FaultyLink link = new FaultyLink(FaultyLink.Fault.BLACKHOLE, FaultyLink.Target.ALL, Long.MAX_VALUE, 600_000);
        HostAgent newSource = null;
        EmulatedXenHost reattached = null;
        try {
            oldSource.advertiseAs(link.toSource(oldSource.address()));
            InetSocketAddress throughLink = link.toDestination(destination.address());
            DomainId d = sourceHost.domains().create(DomainConfig.ofMiB("vm", 64, "stress-write:4M", seed), true);
            sourceHost.domains().unpause(d);
            Await.until(() -> sourceHost.guestOps(d) >= 200, Duration.ofMinutes(2), () -> "the guest to warm up");
            // 20 Mbit/s: post-copy takes half a minute, so a checkpoint is committed well before it ends.
            MigrationOptions options = MigrationOptions.defaults().withLink(20, 0).withBaselineMs(0)
                    .withRecovery(STALL_MS, 60_000).withCheckpointing(new Checkpointing(200, LEASE_MS));
            CompletableFuture<MigrationReport> old = CompletableFuture.supplyAsync(
                    () -> oldSource.migrate(d, throughLink, options, MigrationProgress.NONE));
            Await.until(() -> checkpointed.said() || old.isDone(), Duration.ofSeconds(60),
                    () -> "the first checkpoint to be committed");
            link.strikeNow();
            ExecutionException failed = assertThrows(ExecutionException.class, () -> old.get(120, TimeUnit.SECONDS));
            assertInstanceOf(MigrationException.class, failed.getCause());
            assertTrue(link.fired());
            assertTrue(dying.died, "the restore ended before the daemon could die in it: " + failed.getCause());
            List<SessionJournal.Entry> left = SessionJournal.in(journal).entries();
            assertEquals(1, left.size());
            assertEquals(SessionJournal.Stage.FAILING_BACK, left.get(0).stage());
            assertTrue(left.get(0).checkpointSeq() >= 1, "no checkpoint had been committed: " + left.get(0));
            DomainId there = destinationHost.domains().lookup("vm").orElseThrow();
            assertEquals(DomainInfo.State.PAUSED, destinationHost.domains().info(there).state(),
                    "the destination's copy must be held by its lease");

            // The daemon is gone; its host's domains outlive it. The link heals; a new daemon starts.
            oldSource.close();
            sourceHost.close();
            link.heal();
            reattached = EmulatedXenHost.persistent("source", state);
            EmulatedXenHost host = reattached;
            DomainId again = host.domains().lookup("vm").orElseThrow();
            assertEquals(DomainInfo.State.PAUSED, host.domains().info(again).state(), "re-attached paused");
            newSource = new HostAgent(host, new InetSocketAddress("127.0.0.1", 0), BalloonPolicy.defaults(), "",
                    ChannelSecurity.plain(), SessionJournal.in(journal));

            Await.until(() -> host.domains().info(again).state() == DomainInfo.State.RUNNING, Duration.ofSeconds(60),
                    () -> "the new daemon to finish the fail-back");
            Await.until(() -> SessionJournal.in(journal).entries().isEmpty(), Duration.ofSeconds(30),
                    () -> "the journal entry to go");
            GuestProbe.Verification v = host.guestProbe().orElseThrow().verify(again);
            assertTrue(v.clean(), String.join("; ", v.problems()));
            long ops = host.guestOps(again);
            Await.until(() -> host.guestOps(again) > ops, Duration.ofSeconds(30), () -> "the guest to run here");
            Await.until(() -> destinationHost.domains().lookup("vm").isEmpty(), Duration.ofSeconds(60),
                    () -> "the destination to destroy the copy the source took back");
        } finally {
            checkpointed.close();
            if (newSource != null) {
                newSource.close();
            }
            link.close();
            oldSource.close();
            destination.close();
            if (reattached != null) {
                reattached.close();
            }
            sourceHost.close();
            destinationHost.close();
        }
    }
}
