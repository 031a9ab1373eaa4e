package org.xenpostcopy.balloon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.XenStore;
import org.xenpostcopy.xen.XenStoreWatch;

/** The controller's reads, decisions and writes against a mocked xenstore; decisions are run by hand. */
class SelfBallooningControllerTest {
    private static final DomainId DOM = DomainId.of(3);
    private static final String HOME = "/local/domain/3/";
    private final XenStore store = mock(XenStore.class);
    private final Map<String, String> values = new HashMap<>();
    // a real executor for callOnThread, with a timer far beyond any test, so only tickNow decides
    private final ScheduledExecutorService exec = Executors.newSingleThreadScheduledExecutor();
    private final BalloonPolicy policy = BalloonPolicy.defaults().withInterval(Duration.ofDays(1));
    private final SelfBallooningController dsb = new SelfBallooningController(store, policy, exec, true);

    @BeforeEach
    void guest() {
        values.put("memory/target", "1048576");
        values.put("memory/static-max", "1048576");
        values.put("data/meminfo_total", "1048576");
        values.put("data/meminfo_free", "786432");
        values.put("data/meminfo_used", "262144");
        values.put("data/memory_pressure", "0");
        when(store.read(anyString())).thenAnswer(inv -> {
            String path = inv.getArgument(0);
            return path.startsWith(HOME) ? Optional.ofNullable(values.get(path.substring(HOME.length()))) : Optional.empty();
        });
        when(store.watch(anyString(), anyString(), any())).thenReturn(mock(XenStoreWatch.class));
    }

    @AfterEach
    void close() {
        dsb.close();
    }

    @Test
    void inflatesThroughMemoryTargetInKiB() {
        dsb.start(DOM);
        verify(store).watch(eq(HOME + "data/memory_pressure"), anyString(), any());
        dsb.tickNow(DOM);
        long goal = 262144 + policy.reserveKiB();
        long expected = 1048576 - (1048576 - goal) / 8;
        verify(store).write(HOME + "memory/target", Long.toString(expected));
        assertEquals(1, dsb.status(DOM).orElseThrow().adjustments());
    }

    @Test
    void aStopDuringADecisionLeavesTheTargetRestoredNotLowered() throws Exception {
        List<String> targets = Collections.synchronizedList(new ArrayList<>());
        doAnswer(inv -> targets.add(inv.getArgument(1))).when(store)
                .write(eq(HOME + "memory/target"), anyString());
        dsb.start(DOM);
        CountDownLatch inDecision = new CountDownLatch(1);
        CountDownLatch goOn = new CountDownLatch(1);
        when(store.read(HOME + "data/meminfo_free")).thenAnswer(inv -> {
            inDecision.countDown();
            assertTrue(goOn.await(30, TimeUnit.SECONDS));
            return Optional.of(values.get("data/meminfo_free"));
        });
        CompletableFuture<Void> deciding =
                CompletableFuture.runAsync(() -> dsb.tickNow(DOM));
        assertTrue(inDecision.await(30, TimeUnit.SECONDS));
        CompletableFuture<Void> stopping =
                CompletableFuture.runAsync(() -> dsb.stop(DOM, true));
        goOn.countDown();
        deciding.get(30, TimeUnit.SECONDS);
        stopping.get(30, TimeUnit.SECONDS);
        assertEquals(2, targets.size(), targets.toString());
        assertTrue(Long.parseLong(targets.get(0)) < 1048576, "the decision lowered the target: " + targets);
        assertEquals("1048576", targets.get(1), "the stop's restore comes last: " + targets);
    }

    @Test
    void thePressureWatchDecidesOnlyOnANewStallNotOnEveryRewriteOfTheFigures() throws Exception {
        org.mockito.ArgumentCaptor<XenStore.WatchListener> watch = org.mockito.ArgumentCaptor.forClass(XenStore.WatchListener.class);
        dsb.start(DOM);
        verify(store).watch(eq(HOME + "data/memory_pressure"), anyString(), watch.capture());
        dsb.tickNow(DOM);                                  // the timer's decision: inflate one step
        assertEquals(1, dsb.status(DOM).orElseThrow().adjustments());
        values.put("memory/target", "952320");
        watch.getValue().onEvent(HOME + "data/memory_pressure", "dsb-3");   // the guest republished, no new stall
        dsb.status(DOM);                                   // runs behind the watch's work on the controller thread
        assertEquals(1, dsb.status(DOM).orElseThrow().adjustments(), "a rewrite without a rise decides nothing");
        values.put("data/memory_pressure", "1");
        watch.getValue().onEvent(HOME + "data/memory_pressure", "dsb-3");
        dsb.status(DOM);
        assertEquals(2, dsb.status(DOM).orElseThrow().adjustments(), "a new stall deflates at once");
        assertEquals("pressure: deflate", dsb.status(DOM).orElseThrow().lastDecision());
    }

    @Test
    void theWatchsFirstFiringTakesTheCountAStallBeforeTheFirstTickIsMeasuredFrom() {
        org.mockito.ArgumentCaptor<XenStore.WatchListener> watch = org.mockito.ArgumentCaptor.forClass(XenStore.WatchListener.class);
        dsb.start(DOM);
        verify(store).watch(eq(HOME + "data/memory_pressure"), anyString(), watch.capture());
        watch.getValue().onEvent(HOME + "data/memory_pressure", "dsb-3");   // fired when set: the baseline
        assertEquals(0, dsb.status(DOM).orElseThrow().adjustments());
        values.put("memory/target", "524288");                            // ballooned by an earlier run
        values.put("data/memory_pressure", "2");
        watch.getValue().onEvent(HOME + "data/memory_pressure", "dsb-3");   // a stall before any timer tick
        dsb.status(DOM);
        assertEquals(1, dsb.status(DOM).orElseThrow().adjustments());
        assertEquals("pressure: deflate", dsb.status(DOM).orElseThrow().lastDecision());
    }

    @Test
    void badValuesAreSkippedAndNeverWrittenBack() {
        dsb.start(DOM);
        values.put("data/meminfo_used", "12 MB");
        dsb.tickNow(DOM);
        values.remove("data/meminfo_used");
        dsb.tickNow(DOM);
        verify(store, never()).write(anyString(), anyString());
        assertTrue(dsb.status(DOM).orElseThrow().problem().contains("data/meminfo_used"));
    }

    @Test
    void pressureDeflatesAtOnce() {
        dsb.start(DOM);
        values.put("memory/target", "300000");
        values.put("data/meminfo_total", "300000");
        values.put("data/meminfo_free", "0");
        values.put("data/meminfo_used", "300000");
        dsb.tickNow(DOM);                          // learns the pressure counter
        values.put("data/memory_pressure", "4");
        dsb.tickNow(DOM);
        verify(store).write(HOME + "memory/target",
                Long.toString(300000 + policy.reserveKiB() + policy.pressureExtraKiB()));
    }

    @Test
    void stopRestoresTheOriginalTarget() {
        dsb.start(DOM);
        dsb.tickNow(DOM);
        dsb.stop(DOM, true);
        verify(store).write(HOME + "memory/target", "1048576");
        assertTrue(dsb.status(DOM).isEmpty());
    }

    @Test
    void aDomainWithoutAUsableTargetIsRefused() {
        values.put("memory/target", "many");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dsb.start(DOM));
        assertTrue(e.getMessage().contains("not a number of KiB"));
        values.remove("memory/target");
        assertThrows(IllegalArgumentException.class, () -> dsb.start(DOM));
    }
}
