package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.migration.source.FailedBack;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.GuestProbe;

/**
 * The destination drops off the network for good in the middle of post-copy (to the source, a dead destination
 * and a lasting partition are the same thing). With reverse checkpoints the guest must come back to the source,
 * whole as of the last checkpoint, and must never run on both hosts: the destination's copy stands paused by the
 * time the source resumes, and is destroyed once the destination hears it was taken back.
 */
class DestinationLostTest {
    private static final int STALL_MS = 500;
    private static final int LEASE_MS = 1500;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void theGuestComesBackFromTheLastCheckpointAndNeverRunsTwice(long seed) throws Exception {
        try (TwoHosts hosts = new TwoHosts();
             FaultyLink link = new FaultyLink(FaultyLink.Fault.BLACKHOLE, FaultyLink.Target.ALL, trigger(seed),
                     600_000)) {
            Started m = migrateThrough(hosts, link);
            DomainId d = m.atSource();
            DomainId there = m.there();

            ExecutionException failed = assertThrows(ExecutionException.class,
                    () -> m.migration().get(120, TimeUnit.SECONDS));
            FailedBack back = assertInstanceOf(FailedBack.class, failed.getCause(), failed.getCause().toString());
            // When the migration returns the destination's copy must be held still. (That it was so before the source
            // resumed is the lease arithmetic's promise: its pause comes a lease after the last grant, the resume
            // here a lease × 1.1 + 500 ms after it; both are logged with their times.)
            DomainInfo.State atDestination = hosts.destinationHost.domains().info(there).state();
            long opsThere = hosts.destinationHost.guestOps(there);

            assertTrue(link.fired());
            assertEquals(DomainInfo.State.PAUSED, atDestination, "the destination's copy still ran");
            assertEquals(DomainInfo.State.RUNNING, hosts.sourceHost.domains().info(d).state(), back.getMessage());
            assertTrue(back.checkpointSeq() >= 1, "no checkpoint had been committed: " + back.getMessage());
            GuestProbe.Verification v = back.verification().orElseThrow();
            assertTrue(v.clean(), String.join("; ", v.problems()));
            assertTrue(back.getMessage().contains("runs here again"), back.getMessage());
            System.out.printf(Locale.ROOT, "DEST-LOST seed=%d checkpoint=%d pagesRestored=%d sinceLastWordMs=%.0f"
                            + " opsRestored=%d opsAtDestination=%d lostOps=%d%n", seed, back.checkpointSeq(),
                    back.pagesRestored(), back.sinceLastWordMs(), back.guestOpsRestored(), opsThere,
                    opsThere - back.guestOpsRestored());

            // The link heals: the destination hears the guest was taken back and destroys its copy.
            link.heal();
            Await.until(() -> hosts.destinationHost.domains().lookup("vm").isEmpty(), Duration.ofSeconds(60),
                    () -> "the destination to destroy the copy the source took back");
            Await.until(() -> hosts.destination.receiver().activeSessions().isEmpty(), Duration.ofSeconds(10),
                    () -> "the destination to end the session");
            long ops = hosts.sourceHost.guestOps(d);
            Await.until(() -> hosts.sourceHost.guestOps(d) > ops, Duration.ofSeconds(30),
                    () -> "the restored guest to make progress on the source");
        }
    }

    /**
     * The link is reset for good during post-copy: the source fails back, and its {@code takenBack} call cannot
     * arrive, so the destination keeps its session with the copy held paused. Once the link is back, the guest is
     * migrated to that destination again: the new prepare finds the old session, asks its source, hears it was taken
     * back, destroys the stale copy and lets the guest come in (issue 14: it answered "a migration of 'vm' is
     * already coming in"). A session that still lives keeps refusing a second one ({@code IncomingMigrationsTest}).
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {11, 12})
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void aDestinationThatNeverHeardTheTakeBackLetsTheSameGuestComeInAgain(long seed) throws Exception {
        try (TwoHosts hosts = new TwoHosts();
             FaultyLink link = new FaultyLink(FaultyLink.Fault.RESET, FaultyLink.Target.ALL, trigger(seed), 600_000)) {
            Started m = migrateThrough(hosts, link);
            DomainId d = m.atSource();
            DomainId there = m.there();
            ExecutionException failed = assertThrows(ExecutionException.class,
                    () -> m.migration().get(120, TimeUnit.SECONDS));
            assertInstanceOf(FailedBack.class, failed.getCause(), failed.getCause().toString());
            assertEquals(DomainInfo.State.PAUSED, hosts.destinationHost.domains().info(there).state());
            assertEquals(DomainInfo.State.RUNNING, hosts.sourceHost.domains().info(d).state());
            assertEquals(1, hosts.destination.receiver().activeSessions().size(),
                    "the destination never heard the take-back, so its session is still there");

            link.heal();
            MigrationReport again = hosts.source.migrate(d, m.destination(), m.options(), MigrationProgress.NONE);

            assertTrue(again.verified(), again.verificationNote());
            assertTrue(hosts.sourceHost.domains().lookup("vm").isEmpty(), "the source's copy must be gone");
            DomainId now = hosts.destinationHost.domains().lookup("vm").orElseThrow();
            assertTrue(now.value() != there.value(), "the stale copy must have been destroyed, not reused");
            assertEquals(DomainInfo.State.RUNNING, hosts.destinationHost.domains().info(now).state());
            GuestProbe.Verification v = hosts.destinationHost.guestProbe().orElseThrow().verify(now);
            assertTrue(v.clean(), String.join("; ", v.problems()));
        }
    }

    /** Where in the post-copy the link fails: 40 to 56 MiB into the traffic. */
    private static long trigger(long seed) {
        return (40L << 20) + new Random(seed).nextInt(16 << 20);
    }

    /**
     * A migration under way through a faulty link, once its guest runs at the destination.
     *
     * @param atSource    the guest at the source
     * @param there       the guest at the destination
     * @param destination the destination as the source reaches it: through the link
     * @param options     how it was sent
     */
    private record Started(DomainId atSource, DomainId there, InetSocketAddress destination, MigrationOptions options,
                           CompletableFuture<MigrationReport> migration) {
    }

    /**
     * Boots a 64 MiB guest and migrates it post-copy through {@code link} (both ways) at 100 Mbit/s with reverse
     * checkpoints every 200 ms: 64 MiB take about 5 s, so with the checkpoints (up to 4 MiB each) the link's fault
     * strikes a second or two into post-copy, after several checkpoints.
     */
    private static Started migrateThrough(TwoHosts hosts, FaultyLink link) throws IOException {
        hosts.source.advertiseAs(link.toSource(hosts.source.address()));
        InetSocketAddress destination = link.toDestination(hosts.destination.address());
        DomainId d = hosts.bootGuest("vm", 64, "stress-write:4M", 200);
        MigrationOptions options = MigrationOptions.defaults().withLink(100, 0).withBaselineMs(0)
                .withRecovery(STALL_MS, 60_000).withCheckpointing(new Checkpointing(200, LEASE_MS));
        CompletableFuture<MigrationReport> migration = CompletableFuture.supplyAsync(
                () -> hosts.source.migrate(d, destination, options, MigrationProgress.NONE));
        DomainId there = hosts.awaitRunningAtDestination("vm", migration);
        return new Started(d, there, destination, options, migration);
    }
}
