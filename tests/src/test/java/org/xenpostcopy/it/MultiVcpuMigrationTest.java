package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.emulated.guest.VcpuRegisters;

/**
 * Guests of several vCPUs migrated between two emulated hosts over Thrift: every vCPU's context crosses, the oracle
 * checks each one's writes, and each vCPU runs on at the destination from where it stopped.
 */
class MultiVcpuMigrationTest {
    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(4, "kernel-compile", 30_000L, MigrationMode.POSTCOPY, PrePaging.MULTIBUBBLE, true),
                Arguments.of(8, "stress-write:64M", 40_000L, MigrationMode.POSTCOPY, PrePaging.DEMAND, false),
                Arguments.of(2, "stress-write:64M", 20_000L, MigrationMode.PRECOPY, PrePaging.MULTIBUBBLE, true),
                Arguments.of(2, "netperf", 20_000L, MigrationMode.HYBRID, PrePaging.BUBBLE, false));
    }

    private static List<VcpuRegisters> registers(List<VcpuState> states) {
        List<VcpuRegisters> out = new ArrayList<>();
        for (VcpuState s : states) {
            out.add(VcpuRegisters.load(s.context()));
        }
        return out;
    }

    @ParameterizedTest(name = "{0} vCPUs, {1}, {3} with {4}, DSB {5}")
    @MethodSource("cases")
    void everyVcpuCrossesAndRunsOnWithMemoryIntact(int vcpus, String workload, long warmup, MigrationMode mode,
                                                    PrePaging policy, boolean dsb) {
        try (TwoHosts hosts = new TwoHosts()) {
            DomainId d = hosts.bootGuest("smp", 512, vcpus, workload, warmup);
            MigrationOptions options = MigrationOptions.defaults().withMode(mode).withPrePaging(policy).withDsb(dsb)
                    .withBaselineMs(200).withDemandOnlyMs(300);
            MigrationReport r = hosts.source.migrate(d, hosts.destination.address(), options, MigrationProgress.NONE);

            assertTrue(r.verified(), r.verificationNote());
            assertEquals(0, r.mismatchedPages());
            assertEquals(0, r.duplicatePages());
            if (mode == MigrationMode.POSTCOPY) {
                assertEquals(r.vmPages() - r.pagesSkippedBallooned(), r.pagesTransferred() - r.recovery().pagesResent(),
                        "every page sent once");
            }
            DomainId moved = DomainId.of(r.destinationDomain());
            assertEquals(vcpus, hosts.destinationHost.domains().info(moved).vcpus());
            hosts.destinationHost.domains().pause(moved);
            List<VcpuRegisters> arrived = registers(hosts.destinationHost.domains().vcpuStates(moved));
            hosts.destinationHost.domains().unpause(moved);
            assertEquals(vcpus, arrived.size());
            // Each vCPU runs on from its own registers, not only one of them.
            Await.until(() -> {
                hosts.destinationHost.domains().pause(moved);
                try {
                    List<VcpuRegisters> now = registers(hosts.destinationHost.domains().vcpuStates(moved));
                    for (int v = 0; v < vcpus; v++) {
                        if (now.get(v).ops <= arrived.get(v).ops) {
                            return false;
                        }
                    }
                    return true;
                } finally {
                    hosts.destinationHost.domains().unpause(moved);
                }
            }, Duration.ofSeconds(60), () -> "every vCPU running on at the destination");
            assertTrue(hosts.destinationHost.guestCrash(moved).isEmpty());
        }
    }
}
