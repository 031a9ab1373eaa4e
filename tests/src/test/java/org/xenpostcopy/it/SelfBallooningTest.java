package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.balloon.BalloonPolicy;
import org.xenpostcopy.balloon.SelfBallooningController;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.XenStore;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;

/** DSB on a guest whose memory use grows and shrinks: the balloon follows it down and gives way under pressure. */
class SelfBallooningTest {
    private static final Duration WAIT = Duration.ofMinutes(2);

    @Test
    void controllerFollowsAGrowingAndShrinkingGuestWithoutStarvingIt() {
        try (EmulatedXenHost host = new EmulatedXenHost("dsb")) {
            DomainId d = host.domains().create(DomainConfig.ofMiB("build", 256, "kernel-compile@100000", 5), true);
            host.domains().unpause(d);
            Await.until(() -> host.guestOps(d) > 20_000, WAIT, () -> "source tree populated");
            String target = XenStore.domainPath(d) + "/memory/target";
            long staticMax = 256 * 1024;
            BalloonPolicy policy = BalloonPolicy.defaults().withInterval(Duration.ofMillis(100))
                    .withReserveKiB(4 * 1024).withFloorKiB(16 * 1024).withDownDivisor(2);
            AtomicLong lowest = new AtomicLong(Long.MAX_VALUE);
            long opsBefore;
            long pressureBefore = pressure(host, d);
            try (SelfBallooningController dsb = new SelfBallooningController(host.store(), policy)) {
                dsb.start(d);
                Await.until(() -> {
                    long t = Long.parseLong(host.store().read(target).orElseThrow());
                    lowest.accumulateAndGet(t, Math::min);
                    return t < staticMax / 2;
                }, WAIT, () -> "the balloon inflating below half of static-max");
                assertTrue(host.domains().info(d).totPages() < 256 * 256, "pages given back to Xen");
                opsBefore = host.guestOps(d);
                // The build keeps growing its object files: it runs into the balloon, reports pressure, and the
                // controller deflates; the guest must keep making progress through several such rounds.
                Await.until(() -> pressure(host, d) > pressureBefore, WAIT, () -> "the guest reporting pressure");
                Await.until(() -> host.guestOps(d) > opsBefore + 200_000, WAIT,
                        () -> "the guest progressing under DSB: " + (host.guestOps(d) - opsBefore) + " ops");
                var status = dsb.status(d).orElseThrow();
                assertTrue(status.adjustments() >= 3, "adjusted " + status.adjustments() + " times");
                assertTrue(status.problem() == null, status.problem());
            }
            assertEquals(Long.toString(staticMax), host.store().read(target).orElseThrow(), "target restored at stop");
            GuestProbe.Verification v = host.guestProbe().orElseThrow().verify(d);
            assertTrue(v.clean(), v.problems().toString());
        }
    }

    private static long pressure(EmulatedXenHost host, DomainId d) {
        return host.store().read(XenStore.domainPath(d) + "/data/memory_pressure").map(Long::parseLong).orElse(0L);
    }
}
