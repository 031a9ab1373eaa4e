package org.xenpostcopy.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AtomicGfnBitmapTest {
    @Test
    void findsThePreviousClearBitAcrossWords() {
        GfnBitmap initial = new GfnBitmap(200);
        initial.setRange(3, 190);
        AtomicGfnBitmap b = new AtomicGfnBitmap(initial);
        assertEquals(2, b.previousClear(189));
        assertEquals(2, b.previousClear(2));
        assertEquals(199, b.previousClear(500), "from beyond the end: the last gfn");
        assertEquals(190, b.previousClear(190));
        assertTrue(b.setIfClear(2));
        assertEquals(1, b.previousClear(150));
        assertTrue(b.setIfClear(0));
        assertTrue(b.setIfClear(1));
        assertEquals(-1, b.previousClear(189));
        assertEquals(-1, b.previousClear(-1));
        assertEquals(63, new AtomicGfnBitmap(64).previousClear(63));
    }

    @Test
    void startsFromTheGivenBitsAndFindsTheNextClearOne() {
        GfnBitmap initial = new GfnBitmap(130);
        initial.setRange(0, 65);
        AtomicGfnBitmap b = new AtomicGfnBitmap(initial);
        assertTrue(b.get(64));
        assertEquals(65, b.nextClear(0));
        assertTrue(b.setIfClear(65));
        assertFalse(b.setIfClear(65), "only the first caller wins a bit");
        assertEquals(66, b.nextClear(0));
        assertEquals(129, b.nextClear(129));
        assertEquals(-1, b.nextClear(130));
    }

    @Test
    void everyBitHasExactlyOneWinnerAmongRacingThreads() throws Exception {
        AtomicGfnBitmap b = new AtomicGfnBitmap(10_000);
        AtomicLong wins = new AtomicLong();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        Future<?>[] f = new Future<?>[4];
        for (int t = 0; t < 4; t++) {
            f[t] = pool.submit(() -> {
                go.await();
                for (long g = 0; g < 10_000; g++) {
                    if (b.setIfClear(g)) {
                        wins.incrementAndGet();
                    }
                }
                return null;
            });
        }
        go.countDown();
        for (Future<?> x : f) {
            x.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertEquals(10_000, wins.get());
        assertEquals(-1, b.nextClear(0));
    }
}
