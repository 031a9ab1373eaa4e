package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.NoSuchDomainException;

/** 1 GiB guests migrated post-copy between two emulated hosts over Thrift on loopback: every workload, every policy. */
class PostCopyMigrationTest {
    /** Workload spec and how many operations warm it up (its working set populated). */
    private static final Object[][] WORKLOADS = {
        {"idle", 20L},
        {"stress-read:64M", 20_000L},
        {"stress-write:64M", 20_000L},
        {"kernel-compile", 30_000L},
        {"netperf", 20_000L},
    };

    static Stream<Arguments> workloadsTimesPolicies() {
        List<Arguments> all = new ArrayList<>();
        for (Object[] w : WORKLOADS) {
            for (PrePaging p : PrePaging.values()) {
                all.add(Arguments.of(w[0], w[1], p));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} with {2}")
    @MethodSource("workloadsTimesPolicies")
    void migratesWithEveryPageSentOnceAndMemoryIntact(String workload, long warmup, PrePaging policy) {
        try (TwoHosts hosts = new TwoHosts()) {
            DomainId d = hosts.bootGuest("vm", 1024, workload, warmup);
            MigrationOptions options = MigrationOptions.defaults().withPrePaging(policy).withBaselineMs(200)
                    .withDemandOnlyMs(500);
            List<String> phases = new ArrayList<>();
            MigrationReport r = hosts.source.migrate(d, hosts.destination.address(), options,
                    (phase, done, total, faults) -> {
                        if (phases.isEmpty() || !phases.get(phases.size() - 1).equals(phase)) {
                            phases.add(phase);
                        }
                    });

            assertTrue(r.verified(), r.verificationNote());
            assertEquals(0, r.mismatchedPages());
            assertEquals(r.vmPages() - r.pagesSkippedBallooned(), r.pagesTransferred() - r.recovery().pagesResent(), "every page sent once");
            assertEquals(0, r.duplicatePages());
            assertEquals(262_144, r.vmPages());
            assertTrue(r.downtimeMs() > 0 && r.totalMigrationMs() >= r.downtimeMs());
            assertEquals("postcopy", r.mode());
            assertEquals(policy.wireName(), r.prepaging());
            assertTrue(r.appThroughputBaseline() > 0, "baseline measured");
            assertEquals(r.guestPagesTouched(), r.networkFaults() + r.minorFaults(),
                    "each page the guest touched is a network or a minor fault");
            if (!workload.equals("idle") && policy == PrePaging.DEMAND) {
                assertTrue(r.networkFaults() > 0, "demand paging served faults");
            }
            assertTrue(phases.contains("prepare") && phases.contains("done"), phases.toString());

            assertThrows(NoSuchDomainException.class, () -> hosts.sourceHost.domains().info(d), "source copy destroyed");
            DomainId moved = DomainId.of(r.destinationDomain());
            assertEquals(DomainInfo.State.RUNNING, hosts.destinationHost.domains().info(moved).state());
            long ops = hosts.destinationHost.guestOps(moved);
            Await.until(() -> hosts.destinationHost.guestOps(moved) > ops, Duration.ofSeconds(30),
                    () -> "the guest running on at the destination");
            assertTrue(hosts.destinationHost.guestCrash(moved).isEmpty());
        }
    }
}
