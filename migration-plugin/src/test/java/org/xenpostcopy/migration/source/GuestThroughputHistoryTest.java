package org.xenpostcopy.migration.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.NoSuchDomainException;

/** The samples a baseline window starts from, on a clock the test sets. */
class GuestThroughputHistoryTest {
    private static final long MS = 1_000_000L;
    private static final DomainId DOM0 = DomainId.of(0);
    private static final DomainId VM = DomainId.of(7);
    private final GuestProbe probe = mock(GuestProbe.class);
    private final DomainControl domains = mock(DomainControl.class);
    private final GuestThroughputHistory history = new GuestThroughputHistory(probe, domains, null);

    private static DomainInfo info(DomainId d) {
        return new DomainInfo(d, "d" + d.value(), 1, 1, 0, 1, DomainInfo.State.RUNNING);
    }

    @Test
    void aWindowStartsAtTheLatestSampleAtLeastAWindowOld() {
        when(domains.list()).thenReturn(List.of(info(DOM0), info(VM)));
        when(probe.operations(VM)).thenReturn(100L, 200L, 300L, 400L, 500L);
        for (long t = 0; t <= 400; t += 100) {
            history.sample(t * MS);
        }
        assertEquals(Optional.of(new GuestThroughputHistory.Sample(200 * MS, 300)),
                history.windowStart(VM, 250 * MS, 450 * MS));
        assertEquals(Optional.of(new GuestThroughputHistory.Sample(300 * MS, 400)),
                history.windowStart(VM, 100 * MS, 400 * MS), "a sample exactly a window old starts it");
    }

    @Test
    void aGuestSampledForLessThanAWindowStartsItsWindowAtItsOldestSample() {
        when(domains.list()).thenReturn(List.of(info(VM)));
        when(probe.operations(VM)).thenReturn(100L, 200L);
        history.sample(1_000 * MS);
        history.sample(1_100 * MS);
        assertEquals(Optional.of(new GuestThroughputHistory.Sample(1_000 * MS, 100)),
                history.windowStart(VM, 1_000 * MS, 1_150 * MS));
        assertEquals(Optional.empty(), history.windowStart(DomainId.of(8), 1_000 * MS, 1_150 * MS));
    }

    @Test
    void dom0IsNotSampledAndAGuestThatIsGoneIsForgotten() {
        when(domains.list()).thenReturn(List.of(info(DOM0), info(VM)));
        when(probe.operations(VM)).thenReturn(100L);
        history.sample(0);
        assertTrue(history.windowStart(VM, 0, 0).isPresent());
        assertEquals(Optional.empty(), history.windowStart(DOM0, 0, 0));
        when(domains.list()).thenReturn(List.of(info(DOM0)));
        history.sample(100 * MS);
        assertEquals(Optional.empty(), history.windowStart(VM, 0, 100 * MS));
    }

    @Test
    void aGuestDestroyedBetweenTheListAndTheReadIsSkippedAndTheOthersSampled() {
        DomainId other = DomainId.of(9);
        when(domains.list()).thenReturn(List.of(info(VM), info(other)));
        when(probe.operations(VM)).thenThrow(new NoSuchDomainException("operations", VM));
        when(probe.operations(other)).thenReturn(5L);
        history.sample(0);
        assertEquals(Optional.empty(), history.windowStart(VM, 0, 0));
        assertEquals(Optional.of(new GuestThroughputHistory.Sample(0, 5)), history.windowStart(other, 0, 0));
    }

    @Test
    void aCountThatGoesBackIsAnotherGuestAndItsPredecessorsSamplesAreDropped() {
        when(domains.list()).thenReturn(List.of(info(VM)));
        when(probe.operations(VM)).thenReturn(9_000L, 10L);
        history.sample(0);
        history.sample(100 * MS);
        // The old guest's sample would start this window; the new guest's window starts at its first sample.
        assertEquals(Optional.of(new GuestThroughputHistory.Sample(100 * MS, 10)),
                history.windowStart(VM, 50 * MS, 120 * MS));
    }

    @Test
    void aWindowCoversOnlyRunningTimeSoAPausedGuestsCountJumpingAsItResumesIsNotCounted() {
        DomainInfo paused = new DomainInfo(VM, "vm", 1, 1, 0, 1, DomainInfo.State.PAUSED);
        when(domains.list()).thenReturn(List.of(info(VM)), List.of(paused), List.of(info(VM)));
        // Running at 100; paused (not read); running again with the 50 000 an arrived guest carried over.
        when(probe.operations(VM)).thenReturn(100L, 50_000L);
        history.sample(0);
        history.sample(100 * MS);
        assertEquals(Optional.empty(), history.windowStart(VM, 50 * MS, 150 * MS), "a paused guest has no history");
        history.sample(200 * MS);
        assertEquals(Optional.of(new GuestThroughputHistory.Sample(200 * MS, 50_000)),
                history.windowStart(VM, 1_000 * MS, 250 * MS));
    }

    @Test
    void aHistoryNoLongerSampledIsNotUsed() {
        when(domains.list()).thenReturn(List.of(info(VM)));
        when(probe.operations(VM)).thenReturn(100L);
        history.sample(0);
        assertTrue(history.windowStart(VM, 500 * MS, GuestThroughputHistory.STALE_MS * MS).isPresent());
        assertEquals(Optional.empty(), history.windowStart(VM, 500 * MS, (GuestThroughputHistory.STALE_MS + 1) * MS),
                "its samples may be of any age");
    }

    @Test
    void onlyTheLastTenSecondsAreKept() {
        when(domains.list()).thenReturn(List.of(info(VM)));
        when(probe.operations(VM)).thenReturn(1L, 2L, 3L);
        history.sample(0);
        history.sample(5_000 * MS);
        history.sample(11_000 * MS);
        assertEquals(Optional.of(new GuestThroughputHistory.Sample(5_000 * MS, 2)),
                history.windowStart(VM, 20_000 * MS, 11_000 * MS));
    }
}
