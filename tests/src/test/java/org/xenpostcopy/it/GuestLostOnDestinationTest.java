package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Timeout;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.control.ControlException;
import org.xenpostcopy.migration.control.MigrateRequest;
import org.xenpostcopy.migration.control.MigrationStatus;
import org.xenpostcopy.migration.protocol.DaemonConnection;
import org.xenpostcopy.migration.source.PageServer;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.GuestProbe;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;

/**
 * The guest dies on the destination while post-copy is still bringing its pages (on real Xen: a crash, a
 * triple fault, an administrator's {@code xl destroy}). Both ends must notice, end the session and say so; the
 * source keeps its paused copy with every page it had not sent.
 */
class GuestLostOnDestinationTest {
    @Test
    void theSourceIsToldAndKeepsItsPausedCopy() throws Exception {
        try (TwoHosts hosts = new TwoHosts()) {
            DomainId d = hosts.bootGuest("vm", 256, "stress-write:64M", 20_000);
            // 100 Mbit/s: a quarter of a GiB takes about 20 s to push, so the guest is sure to die half-way.
            MigrationOptions options = MigrationOptions.defaults().withPrePaging(PrePaging.BUBBLE).withLink(100, 0)
                    .withBaselineMs(0);
            CompletableFuture<MigrationReport> migration = hosts.startMigration(d, options);
            DomainId there = hosts.awaitRunningAtDestination("vm", migration);

            hosts.destinationHost.domains().destroy(there);

            ExecutionException failed = assertThrows(ExecutionException.class, () -> migration.get(120, TimeUnit.SECONDS));
            MigrationException e = assertInstanceOf(MigrationException.class, failed.getCause());
            assertTrue(e.getMessage().contains("the guest stopped on the destination during post-copy"), e.getMessage());
            assertTrue(e.getMessage().contains("stays paused here"), e.getMessage());
            assertEquals(DomainInfo.State.PAUSED, hosts.sourceHost.domains().info(d).state(),
                    "the source's copy must be kept, paused");
            assertTrue(hosts.destination.receiver().activeSessions().isEmpty(), "the destination's session must end");
        }
    }

    /**
     * The same death with reverse checkpoints on, and an administrator who orders the guest back
     * ({@code xlpc migrate --fail-back ID}, over the daemon's control connection as the command does). Refused while
     * the guest runs at the destination; once it died there, the migration fails with the copy held paused here and
     * says how to fail back; the fail-back restores the last checkpoint, the guest runs here again, checked clean
     * by the oracle, and the migration's status and the domain list say so. A second order is refused.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void anAdministratorBringsTheGuestBackFromItsLastCheckpointOnlyOnceItIsLostThere() throws Exception {
        try (LogWatch checkpointed = new LogWatch(PageServer.class, "first checkpoint committed");
             TwoHosts hosts = new TwoHosts();
             DaemonConnection daemon = DaemonConnection.open(hosts.source.address(), "", ChannelSecurity.plain())) {
            DomainId d = hosts.bootGuest("vm", 64, "stress-write:4M", 200);
            // 20 Mbit/s: 64 MiB take about half a minute to push, so the guest dies while pages still come.
            MigrationOptions options = MigrationOptions.defaults().withLink(20, 0).withBaselineMs(0)
                    .withRecovery(500, 60_000).withCheckpointing(new Checkpointing(200, 1500));
            String id = daemon.startMigration(new MigrateRequest("vm", hosts.destination.address(), options));
            DomainId there = hosts.awaitRunningAtDestination("vm", new CompletableFuture<>());
            Await.until(checkpointed::said, Duration.ofSeconds(60), () -> "the first checkpoint to be committed");

            ControlException live = assertThrows(ControlException.class, () -> daemon.failBackMigration(id));
            assertEquals(RemoteError.WRONG_STATE, live.error());
            assertTrue(live.getMessage().contains("the guest runs there"), live.getMessage());
            // Running there: its checkpoints pause it for a few ms every 200 ms, so one look may catch a pause.
            Await.until(() -> hosts.destinationHost.domains().info(there).state() == DomainInfo.State.RUNNING,
                    Duration.ofSeconds(30), () -> "the guest running at the destination");

            hosts.destinationHost.domains().destroy(there);
            MigrationStatus failed;
            do {
                failed = daemon.migrationStatus(id, 1000);
            } while (!failed.finished());
            String error = failed.error().orElseThrow();
            assertTrue(error.contains("stays paused here") && error.contains("--fail-back " + id), error);
            assertEquals(DomainInfo.State.PAUSED, hosts.sourceHost.domains().info(d).state());
            assertTrue(daemon.listDomains().stream().anyMatch(s -> s.name().equals("vm")
                    && s.migration().contains("held paused")), () -> daemon.listDomains().toString());

            String done = daemon.failBackMigration(id);

            assertTrue(done.contains("runs here again, restored from checkpoint"), done);
            assertTrue(done.contains("memory checked clean"), done);
            assertEquals(DomainInfo.State.RUNNING, hosts.sourceHost.domains().info(d).state());
            assertTrue(hosts.destinationHost.domains().lookup("vm").isEmpty(), "no second copy at the destination");
            GuestProbe.Verification v = hosts.sourceHost.guestProbe().orElseThrow().verify(d);
            assertTrue(v.clean(), String.join("; ", v.problems()));
            long ops = hosts.sourceHost.guestOps(d);
            Await.until(() -> hosts.sourceHost.guestOps(d) > ops, Duration.ofSeconds(30),
                    () -> "the guest to run on the source again");
            MigrationStatus after = daemon.migrationStatus(id, 0);
            assertEquals("failed back", after.phase());
            assertTrue(after.error().orElseThrow().contains("an administrator failed it back"), after.toString());
            assertThrows(ControlException.class, () -> daemon.failBackMigration(id), "a second fail-back");
        }
    }
}
