package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.HostAgent;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;

class PostCopySmokeTest {
    @Test
    void smoke() {
        try (EmulatedXenHost a = new EmulatedXenHost("a"); EmulatedXenHost b = new EmulatedXenHost("b");
             HostAgent src = new HostAgent(a, new InetSocketAddress("127.0.0.1", 0));
             HostAgent dst = new HostAgent(b, new InetSocketAddress("127.0.0.1", 0))) {
            DomainId d = a.domains().create(DomainConfig.ofMiB("vm", 256, "stress-write:32M", 1), true);
            a.domains().unpause(d);
            Await.until(() -> a.guestOps(d) > 10000, Duration.ofSeconds(30), () -> "ops");
            MigrationReport r = src.migrate(d, dst.address(), MigrationOptions.defaults().withBaselineMs(200), MigrationProgress.NONE);
            System.out.println(r.toJson());
            assertTrue(r.verified(), r.verificationNote());
            assertEquals(r.vmPages(), r.pagesTransferred());
        }
    }
}
