package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.XenStore;

/**
 * The guest gives memory back on the destination while post-copy is still bringing it (its balloon follows a
 * lower memory/target, as after {@code xl mem-set} or self-ballooning): pages that were still on their way arrive
 * for gfns the guest no longer has. Each such page is dropped and counted, never loaded and never lost, and the
 * migration completes verified instead of waiting for loads that cannot happen. (Before: the loads failed inside
 * the oneway push, the source counted them as sent, and the migration timed out.)
 */
class GuestBalloonsDuringPostCopyTest {
    @Test
    void pagesTheGuestGaveBackWhileTheyWereOnTheirWayAreDroppedAndTheMigrationVerifies() throws Exception {
        try (TwoHosts hosts = new TwoHosts()) {
            DomainId d = hosts.bootGuest("vm", 256, "idle", 20);
            // Linear push over 200 Mbit/s: the top of memory, where the balloon takes its pages, arrives last,
            // about ten seconds after the switch. A regression would wait for pages that never load: fail fast.
            MigrationOptions options = MigrationOptions.defaults().withPrePaging(PrePaging.PUSH).withLink(200, 0)
                    .withBaselineMs(0).withTimeoutMs(60_000);
            CompletableFuture<MigrationReport> migration = hosts.startMigration(d, options);
            DomainId there = hosts.awaitRunningAtDestination("vm", migration);
            long populated = hosts.destinationHost.domains().info(there).totPages();
            hosts.destinationHost.store().write(XenStore.domainPath(there) + "/memory/target",
                    Long.toString((populated - 16_384) * 4));   // 64 MiB less

            MigrationReport report = migration.get(120, TimeUnit.SECONDS);
            assertTrue(report.verified(), report.verificationNote());
            assertEquals(0, report.mismatchedPages());
            assertEquals(0, report.duplicatePages());
            assertTrue(report.verificationNote().contains("given them back"), report.verificationNote());
            assertTrue(hosts.destinationHost.domains().info(there).totPages() <= populated - 16_384,
                    "the guest did give the memory back");
        }
    }
}
