package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.pager.PageOutResult;
import org.xenpostcopy.migration.pager.PageOutRun;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;

/** The pager on its own: a running guest paged out and back in, every page intact. */
class PageOutTest {
    @Test
    void aRunningGuestIsPagedOutServedAndPagedBackIntact() throws Exception {
        try (EmulatedXenHost host = new EmulatedXenHost("pager")) {
            DomainId d = host.domains().create(DomainConfig.ofMiB("busy", 64, "stress-write:16M", 7), true);
            host.domains().unpause(d);
            Await.until(() -> host.guestOps(d) > 10_000, Duration.ofMinutes(1), () -> "guest running");
            long opsBefore = host.guestOps(d);
            PageOutResult r = new PageOutRun(host, d).run(8192, 500, left -> { });
            assertEquals(8192, r.candidates());
            assertTrue(r.evicted() > 8000, r.summary());
            assertEquals(r.evicted(), r.loadedOnFault() + r.loadedAtEnd(), "every evicted page came back once: " + r.summary());
            assertTrue(r.loadedOnFault() > 0 && r.faultsServed() >= r.loadedOnFault(), "the guest faulted: " + r.summary());
            assertEquals(0, host.domains().info(d).pagedPages(), "nothing left paged out");
            long opsAfter = host.guestOps(d);
            Await.until(() -> host.guestOps(d) > opsAfter + 10_000, Duration.ofMinutes(1), () -> "guest still running");
            assertTrue(opsAfter > opsBefore);
            host.domains().pause(d);
            GuestProbe.Verification v = host.guestProbe().orElseThrow().verify(d);
            assertTrue(v.clean(), v.problems().toString());
        }
    }
}
