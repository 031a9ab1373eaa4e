package org.xenpostcopy.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GfnBitmapTest {
    @Test
    void setClearAndIterate() {
        GfnBitmap b = new GfnBitmap(130);
        b.set(0);
        b.set(64);
        b.set(129);
        assertEquals(3, b.cardinality());
        assertEquals(64, b.nextSet(1));
        assertEquals(129, b.nextSet(65));
        assertEquals(-1, b.nextSet(130));
        b.clear(64);
        List<Long> seen = new ArrayList<>();
        b.forEach(seen::add);
        assertEquals(List.of(0L, 129L), seen);
    }

    @Test
    void rangesAndSetAlgebra() {
        GfnBitmap a = new GfnBitmap(200);
        a.setRange(10, 150);
        assertEquals(140, a.cardinality());
        GfnBitmap b = new GfnBitmap(200);
        b.setRange(100, 200);
        a.andNot(b);
        assertEquals(90, a.cardinality());
        a.or(b);
        assertEquals(190, a.cardinality());
        assertEquals(GfnBitmap.full(200).cardinality(), 200);
    }

    @Test
    void outOfRangeIsRefused() {
        GfnBitmap b = new GfnBitmap(10);
        assertThrows(IndexOutOfBoundsException.class, () -> b.set(10));
        assertThrows(IndexOutOfBoundsException.class, () -> b.get(-1));
        assertThrows(IllegalArgumentException.class, () -> GfnBitmap.fromWords(10, new long[] {1L << 12}));
        assertFalse(new GfnBitmap(10).get(3));
        assertTrue(GfnBitmap.fromWords(10, new long[] {8}).get(3));
    }

    @Test
    void resizedKeepsTheFirstGfnsAndNothingBeyond() {
        GfnBitmap b = new GfnBitmap(200);
        for (long g : new long[] {0, 63, 64, 99, 100, 150, 199}) {
            b.set(g);
        }
        GfnBitmap cut = b.resized(100);
        assertEquals(100, cut.size());
        assertEquals(4, cut.cardinality(), "0, 63, 64 and 99; 100 and beyond are cut");
        assertEquals(99, cut.nextSet(65));
        GfnBitmap grown = cut.resized(300);
        assertEquals(300, grown.size());
        assertEquals(4, grown.cardinality());
        assertTrue(grown.get(99));
        assertFalse(grown.get(150), "added gfns start clear");
        GfnBitmap holes = GfnBitmap.full(100);
        holes.andNot(b.resized(100));
        assertEquals(96, holes.cardinality());
    }
}
