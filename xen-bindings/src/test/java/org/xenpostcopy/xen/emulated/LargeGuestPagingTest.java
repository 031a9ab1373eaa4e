package org.xenpostcopy.xen.emulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.emulated.guest.GuestOracle;

/** An 8 GiB guest, paged out whole to a paging file and back in while it runs. Slow; CI runs it. */
@Tag("slow")
class LargeGuestPagingTest {
    private static final long PAGES_8G = 8L << 30 >> 12;

    @Test
    void eightGibGuestIsFullyPagedOutAndBackIn(@TempDir Path dir) throws Exception {
        try (EmulatedXenHost host = new EmulatedXenHost("big")) {
            DomainId d = host.domains().create(DomainConfig.ofMiB("big", 8192, "idle@2000", 3), true);
            host.domains().unpause(d);
            Await.until(() -> host.guestOps(d) >= 50, Duration.ofSeconds(60), () -> "guest running");
            host.domains().pause(d);
            try (TestPager pager = new TestPager(host, d, TestPager.file(dir.resolve("paging.bin")))) {
                assertEquals(PAGES_8G, pager.pageOutAll());
                assertEquals(PAGES_8G, host.domains().info(d).pagedPages());
                pager.start();
                long ops = host.guestOps(d);
                host.domains().unpause(d);
                Await.until(() -> host.guestOps(d) >= ops + 200, Duration.ofSeconds(120), () -> "guest running paged");
                assertTrue(pager.requestsServed() > 0);
                pager.pageInAll();
                assertEquals(PAGES_8G, pager.pagesLoaded(), "every page came back exactly once");
                assertEquals(0, host.domains().info(d).pagedPages());
                assertNull(pager.failure());
                host.domains().pause(d);
                GuestOracle.Verdict v = GuestOracle.verify(host.memory(), d, host.domains().vcpuStates(d));
                assertTrue(v.clean(), v.problems().toString());
                assertTrue(v.pagesChecked() >= org.xenpostcopy.xen.emulated.guest.GuestLayout.forPages(PAGES_8G).dataPages());
            }
        }
    }
}
