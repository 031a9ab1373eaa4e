package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.XenStore;

/** DSB in a migration: a guest using a quarter of its memory has its free pages ballooned away, not sent. */
class SelfBallooningMigrationTest {
    @ParameterizedTest
    @EnumSource(MigrationMode.class)
    void freePagesAreBallonedOutAndNeverSent(MigrationMode mode) {
        try (TwoHosts hosts = new TwoHosts()) {
            // 1 GiB guest whose program holds 240 MiB: with its kernel, about a quarter of memory in use
            DomainId d = hosts.bootGuest("vm", 1024, "stress-read:240M", 65_000);
            Await.until(() -> hosts.sourceHost.store().read(XenStore.domainPath(d) + "/data/meminfo_used")
                            .map(Long::parseLong).orElse(0L) >= 240 * 1024,
                    Duration.ofSeconds(10), () -> "guest figures published with its working set");
            MigrationOptions options = MigrationOptions.defaults().withMode(mode).withDsb(true).withBaselineMs(0);
            MigrationReport r = hosts.source.migrate(d, hosts.destination.address(), options, MigrationProgress.NONE);

            assertTrue(r.verified(), r.verificationNote());
            assertEquals(0, r.mismatchedPages());
            assertTrue(r.dsb());
            assertTrue(r.pagesFreeAtStart() > 180_000, "free at start: " + r.pagesFreeAtStart());
            double unsent = (double) r.pagesSkippedBallooned() / r.pagesFreeAtStart();
            assertTrue(unsent >= 0.95, String.format("%.1f %% of the free pages left unsent (%d of %d)", 100 * unsent,
                    r.pagesSkippedBallooned(), r.pagesFreeAtStart()));
            if (mode == MigrationMode.POSTCOPY) {
                assertEquals(r.vmPages() - r.pagesSkippedBallooned(), r.pagesTransferred() - r.recovery().pagesResent());
            }
            // the destination gives the guest its memory back
            DomainId moved = DomainId.of(r.destinationDomain());
            String movedTarget = XenStore.domainPath(moved) + "/memory/target";
            assertEquals("1048576", hosts.destinationHost.store().read(movedTarget).orElseThrow());
            Await.until(() -> hosts.destinationHost.domains().info(moved).totPages() == 262_144,
                    Duration.ofSeconds(60), () -> "the guest deflating its balloon at the destination");
            assertTrue(hosts.destinationHost.guestProbe().orElseThrow().verify(moved).clean());
        }
    }
}
