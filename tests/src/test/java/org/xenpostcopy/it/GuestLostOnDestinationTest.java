package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
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
}
