package org.xenpostcopy.migration.evacuation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.report.MigrationReport;

/** The scheduler with a mover that only counts: at most K at once, and a failure stops nothing else. */
class EvacuationSchedulerTest {
    private static final MigrationReport REPORT = MigrationReport.fromJson("{\"mode\":\"postcopy\",\"verified\":true}");

    private static List<Placement.Assignment> assignments(int n) {
        List<Placement.Assignment> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Placement.Assignment(new GuestToMove("g" + i, 1024), i % 2 == 0 ? "b" : "c"));
        }
        return out;
    }

    @Test
    void neverMoreThanKAtOnceAndKAreReached() throws InterruptedException {
        AtomicInteger now = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        CountDownLatch twoIn = new CountDownLatch(2);
        List<GuestOutcome> outcomes = new EvacuationScheduler(2).run(assignments(7), (a, linkDone) -> {
            most.accumulateAndGet(now.incrementAndGet(), Math::max);
            twoIn.countDown();
            try {
                // The first two wait for each other, so K = 2 is seen at once; none waits on a clock.
                assertTrue(twoIn.await(10, TimeUnit.SECONDS), "a second migration never started beside the first");
                return REPORT;
            } finally {
                now.decrementAndGet();
            }
        });
        assertEquals(2, most.get());
        assertEquals(7, outcomes.size());
        assertTrue(outcomes.stream().allMatch(o -> o.result() == GuestOutcome.Result.MOVED && o.verified()));
    }

    @Test
    void oneFailureDoesNotStopTheRestAndOutcomesKeepThePlansOrder() throws InterruptedException {
        List<Placement.Assignment> plan = assignments(5);
        List<GuestOutcome> outcomes = new EvacuationScheduler(1).run(plan, (a, linkDone) -> {
            if (a.guest().name().equals("g1")) {
                throw new IllegalStateException("refused: g1 needs 1.0 MiB and this host has 0.0 MiB free");
            }
            return REPORT;
        });
        assertEquals(plan.stream().map(a -> a.guest().name()).toList(),
                outcomes.stream().map(o -> o.guest().name()).toList());
        GuestOutcome failed = outcomes.get(1);
        assertEquals(GuestOutcome.Result.FAILED, failed.result());
        assertEquals("c", failed.destination());
        assertEquals("refused: g1 needs 1.0 MiB and this host has 0.0 MiB free", failed.reason());
        assertFalse(failed.verified());
        assertEquals(4, outcomes.stream().filter(o -> o.result() == GuestOutcome.Result.MOVED).count());
        EvacuationReport report = new EvacuationReport("a", 1, outcomes, 1);
        assertFalse(report.succeeded(true));
        assertTrue(report.toJson().contains("\"outcome\":\"failed\""), report.toJson());
    }

    @Test
    void theNextStartsWhenOneHasSentItsLastPageNotOnlyWhenItEnds() throws InterruptedException {
        CountDownLatch secondStarted = new CountDownLatch(1);
        AtomicBoolean firstSawSecond = new AtomicBoolean();
        List<GuestOutcome> outcomes = new EvacuationScheduler(1).run(assignments(2), (a, linkDone) -> {
            if (a.guest().name().equals("g0")) {
                linkDone.run();
                linkDone.run();   // twice: still one place given back
                firstSawSecond.set(secondStarted.await(10, TimeUnit.SECONDS));
            } else {
                secondStarted.countDown();
            }
            return REPORT;
        });
        assertTrue(firstSawSecond.get(), "g1 waited for g0 to end, though g0 no longer used the link");
        assertEquals(2, outcomes.size());
    }

    @Test
    void aPlaceGivenBackTwiceIsStillOnePlace() throws InterruptedException {
        CountDownLatch thirdStarted = new CountDownLatch(1);
        AtomicBoolean overlapped = new AtomicBoolean();
        new EvacuationScheduler(1).run(assignments(3), (a, linkDone) -> {
            switch (a.guest().name()) {
                case "g0" -> {
                    linkDone.run();
                    linkDone.run();
                }
                // g1 keeps its place to the end: g2 may not start beside it. Waiting out the second here is the
                // price of a test that sees the overlap if there is one.
                case "g1" -> overlapped.set(thirdStarted.await(1, TimeUnit.SECONDS));
                default -> thirdStarted.countDown();
            }
            return REPORT;
        });
        assertFalse(overlapped.get(), "a place given back twice let two migrations send at once");
    }

    @Test
    void kBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new EvacuationScheduler(0));
    }
}
