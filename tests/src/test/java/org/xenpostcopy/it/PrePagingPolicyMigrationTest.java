package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.DomainId;

/**
 * Each pre-paging policy end to end on a guest sweeping its working set over a 1 Gbit/s link: the memory
 * verifies, the report names the policy, and every post-copy page the guest touched is exactly one of the paper's
 * two fault classes — fetched over the network, or brought by pre-paging first.
 */
class PrePagingPolicyMigrationTest {
    @ParameterizedTest(name = "{0}")
    @EnumSource(PrePaging.class)
    void everyTouchedPageIsANetworkOrAMinorFaultAndMemoryVerifies(PrePaging policy) {
        try (TwoHosts hosts = new TwoHosts()) {
            DomainId d = hosts.bootGuest("vm", 1024, "stress-write:64M", 20_000);
            MigrationOptions options = MigrationOptions.defaults().withPrePaging(policy).withLink(1000, 0)
                    .withBaselineMs(0).withDemandOnlyMs(300);
            MigrationReport r = hosts.source.migrate(d, hosts.destination.address(), options, (p, a, b, c) -> { });

            assertTrue(r.verified(), r.verificationNote());
            assertEquals(0, r.mismatchedPages());
            assertEquals(r.vmPages(), r.pagesTransferred() - r.recovery().pagesResent(), "every page sent once");
            assertEquals(policy.wireName(), r.prepaging());
            assertTrue(r.guestPagesTouched() >= 16_384, "the guest swept its working set: " + r.guestPagesTouched());
            assertEquals(r.guestPagesTouched(), r.networkFaults() + r.minorFaults(),
                    "network " + r.networkFaults() + " + minor " + r.minorFaults());
            assertEquals((double) r.networkFaults() / r.guestPagesTouched(), r.networkFaultRatio(), 1e-12);
            assertTrue(r.networkFaults() > 0, "the guest outruns a 1 Gbit/s link somewhere");
            assertTrue(r.minorFaults() > 0, "some touched pages came by push first");
        }
    }
}
