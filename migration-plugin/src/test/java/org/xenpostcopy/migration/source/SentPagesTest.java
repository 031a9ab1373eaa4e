package org.xenpostcopy.migration.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.xenpostcopy.xen.GfnBitmap;

/** The sent bitmap across a recovery: what the destination misses is sent again, nothing else is. */
class SentPagesTest {
    private static final long SIZE = 200;

    @Test
    void theClaimsOfMissingPagesAreGivenBackAndOnlyThose() {
        GfnBitmap holes = new GfnBitmap(SIZE);
        holes.set(7);
        SentPages sent = new SentPages(SIZE, holes);
        for (long g = 0; g < 100; g++) {
            sent.claim(g);       // gfn 7 is a hole: its claim fails, it is never sent
        }
        GfnBitmap missing = new GfnBitmap(SIZE);
        missing.set(3);
        missing.set(7);          // a peer naming a hole must not make it sendable
        missing.set(64);
        missing.set(150);        // never claimed: nothing to give back

        assertEquals(2, sent.reclaimMissing(missing));

        assertFalse(sent.isSent(3));
        assertFalse(sent.isSent(64));
        assertTrue(sent.isSent(7));
        assertTrue(sent.isSent(4));
        assertEquals(97, sent.claimed());
        assertTrue(sent.claim(3), "a page given back is claimed again by whoever sends it next");
        assertFalse(sent.claim(3));
    }

    @Test
    void allClaimedHoldsOnlyOnceTheMissingPagesAreSentAgain() {
        SentPages sent = new SentPages(SIZE, new GfnBitmap(SIZE));
        for (long g = 0; g < SIZE; g++) {
            sent.claim(g);
        }
        assertTrue(sent.allClaimed());
        GfnBitmap missing = new GfnBitmap(SIZE);
        missing.set(199);
        sent.reclaimMissing(missing);
        assertFalse(sent.allClaimed());
        assertEquals(199, sent.nextUnsent(0));
        sent.claim(199);
        assertTrue(sent.allClaimed());
    }

    @Test
    void aMissingBitmapOfAnotherSizeIsRefused() {
        SentPages sent = new SentPages(SIZE, new GfnBitmap(SIZE));
        assertThrows(IllegalArgumentException.class, () -> sent.reclaimMissing(new GfnBitmap(SIZE + 1)));
    }
}
