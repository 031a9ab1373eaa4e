package org.xenpostcopy.migration.destination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.GfnBitmap;

/**
 * A post-copy destination's hole map: never asks the host about a gfn the pager may still hold out, counts those
 * as populated, and reads the rest again with the guest paused only when the balloon moved since it was read.
 */
class PostCopyHoleMapTest {
    private static final DomainId DOM = new DomainId(7);
    private static final long PAGES = 64;
    private final DomainControl domains = mock(DomainControl.class);
    /** Gfns 0..15 still paged out; 40..47 holes (ballooned out); the rest present. */
    private final GfnBitmap pagedOut = range(0, 16);
    private final PostCopyHoleMap map = new PostCopyHoleMap(domains, DOM, PAGES, () -> pagedOut.copy());

    PostCopyHoleMapTest() {
        when(domains.populatedAmong(eq(DOM), any())).thenAnswer(call -> {
            GfnBitmap asked = call.getArgument(1);
            GfnBitmap out = asked.copy();
            out.andNot(range(40, 48));
            return out;
        });
    }

    private static GfnBitmap range(long from, long to) {
        GfnBitmap b = new GfnBitmap(PAGES);
        for (long g = from; g < to; g++) {
            b.set(g);
        }
        return b;
    }

    @Test
    void pagedOutGfnsAreNeverAskedAboutAndCountAsPopulated() {
        when(domains.heldPages(DOM)).thenReturn(56L);
        map.readWhileRunning();
        GfnBitmap holes = map.holesWhilePaused();

        assertEquals(range(40, 48), holes);
        ArgumentCaptor<GfnBitmap> asked = ArgumentCaptor.forClass(GfnBitmap.class);
        verify(domains).populatedAmong(eq(DOM), asked.capture());
        for (long g = 0; g < 16; g++) {
            assertTrue(!asked.getValue().get(g), "asked about paged-out gfn " + g);
        }
        assertEquals(0, map.readsWhilePaused());
    }

    @Test
    void anUnchangedHeldCountKeepsTheMapReadLiveOutOfThePause() {
        when(domains.heldPages(DOM)).thenReturn(56L);
        map.readWhileRunning();
        map.holesWhilePaused();
        verify(domains, times(1)).populatedAmong(eq(DOM), any());
    }

    @Test
    void aBalloonThatMovedAfterTheLiveReadIsReadAgainWhilePaused() {
        List<Long> held = new ArrayList<>(List.of(56L, 56L, 60L));
        when(domains.heldPages(DOM)).thenAnswer(call -> held.remove(0));
        map.readWhileRunning();
        map.holesWhilePaused();
        verify(domains, times(2)).populatedAmong(eq(DOM), any());
        assertEquals(1, map.readsWhilePaused());
    }

    @Test
    void aBalloonThatMovedDuringTheLiveReadIsReadAgainWhilePausedEvenIfTheCountCameBack() {
        List<Long> held = new ArrayList<>(List.of(56L, 57L, 56L));
        when(domains.heldPages(DOM)).thenAnswer(call -> held.remove(0));
        map.readWhileRunning();
        map.holesWhilePaused();
        verify(domains, times(2)).populatedAmong(eq(DOM), any());
    }

    @Test
    void eachLiveReadServesOnePause() {
        when(domains.heldPages(DOM)).thenReturn(56L);
        map.readWhileRunning();
        map.holesWhilePaused();
        map.holesWhilePaused();
        verify(domains, times(2)).populatedAmong(eq(DOM), any());
    }

    @Test
    void beforeTheSwitchNamedThePagesToComeNothingIsRead() {
        PostCopyHoleMap early = new PostCopyHoleMap(domains, DOM, PAGES, () -> null);
        when(domains.heldPages(DOM)).thenReturn(56L);
        assertThrows(IllegalStateException.class, early::readWhileRunning);
        verify(domains, never()).populatedAmong(any(), any());
    }
}
