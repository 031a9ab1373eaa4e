package org.xenpostcopy.migration.destination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.xen.Gfn;

class CheckpointPagesTest {
    private static final long GFNS = 16_384;

    /** A page whose every long says which gfn and which version it is. */
    private static CheckpointPages.PageReader version(int v) {
        return (gfn, page) -> {
            while (page.remaining() >= Long.BYTES) {
                page.putLong(gfn << 16 | v);
            }
        };
    }

    /** What the batches carry, gfn to the version its page holds; checks each page is whole. */
    private static Map<Long, Integer> sent(CheckpointPages pages) {
        Map<Long, Integer> out = new HashMap<>();
        for (int from = 0; from < pages.count(); from += CheckpointPages.BATCH_PAGES) {
            int n = Math.min(CheckpointPages.BATCH_PAGES, pages.count() - from);
            pages.batch(from, n).forEach((gfn, page) -> {
                long word = page.getLong(page.position());
                for (int at = 0; at < Gfn.PAGE_SIZE; at += Long.BYTES) {
                    assertEquals(word, page.getLong(page.position() + at), "gfn " + gfn + " holds one page, whole");
                }
                assertEquals(gfn, word >>> 16, "the page sent as gfn " + gfn + " is that gfn's");
                assertEquals(null, out.put(gfn, (int) (word & 0xffff)), "gfn " + gfn + " is sent once");
            });
        }
        return out;
    }

    @Test
    void aCheckpointLargerThanOneChunkGoesOutInBatchesWithEveryPageItsNewestCopyOnce() {
        CheckpointPages pages = new CheckpointPages(GFNS);
        SplittableRandom random = new SplittableRandom(7);
        Map<Long, Integer> expected = new HashMap<>();
        for (int round = 1; round <= 3; round++) {
            for (int i = 0; i < 3000; i++) {
                long g = random.nextLong(GFNS);
                pages.copyIn(g, version(round));
                expected.put(g, round);
            }
        }
        assertEquals(expected.size(), pages.count());
        assertEquals(expected, sent(pages));
        long chunks = (expected.size() + 1023) / 1024;
        assertEquals(chunks * (4L << 20), pages.capacityBytes(), "held in as many 4 MiB chunks as the pages fill");
    }

    @Test
    void aPageThatCannotBeReadAgainLeavesTheCheckpointRatherThanItsOlderCopyStaying() {
        CheckpointPages pages = new CheckpointPages(GFNS);
        for (long g = 0; g < 1500; g++) {
            pages.copyIn(g, version(1));
        }
        RuntimeException refused = new IllegalStateException("unpopulated");
        assertThrows(IllegalStateException.class, () -> pages.copyIn(3, (gfn, page) -> {
            throw refused;
        }));
        assertThrows(IllegalStateException.class, () -> pages.copyIn(5000, (gfn, page) -> {
            throw refused;
        }));
        Map<Long, Integer> out = sent(pages);
        assertEquals(1499, out.size());
        assertEquals(null, out.get(3L), "the gfn whose read failed is not sent in its older copy");
        assertEquals(null, out.get(5000L), "nor is a new gfn whose read failed");
        assertEquals(1, out.get(1499L), "the last slot moved into the freed one, intact");
    }

    @Test
    void aClearedCheckpointKeepsItsChunksForTheNextAndSendsNothingOld() {
        CheckpointPages pages = new CheckpointPages(GFNS);
        for (long g = 0; g < 2000; g++) {
            pages.copyIn(g, version(1));
        }
        long held = pages.capacityBytes();
        pages.clear();
        pages.copyIn(9, version(2));
        assertEquals(Map.of(9L, 2), sent(pages));
        assertEquals(held, pages.capacityBytes());
    }

    @Test
    void aReleasedCheckpointHoldsNoMemoryAndCanBeBuiltAgain() {
        CheckpointPages pages = new CheckpointPages(GFNS);
        for (long g = 0; g < 2000; g++) {
            pages.copyIn(g, version(1));
        }
        pages.release();
        assertEquals(0, pages.capacityBytes());
        assertEquals(0, pages.count());
        pages.copyIn(9, version(3));
        assertEquals(Map.of(9L, 3), sent(pages));
    }

    @Test
    void aBatchOffItsBoundaryEmptyOrPastTheEndIsRefused() {
        CheckpointPages pages = new CheckpointPages(GFNS);
        for (long g = 0; g < 300; g++) {
            pages.copyIn(g, version(1));
        }
        assertThrows(IllegalArgumentException.class, () -> pages.batch(10, 100));
        assertThrows(IllegalArgumentException.class, () -> pages.batch(256, 100));
        assertThrows(IllegalArgumentException.class, () -> pages.batch(0, 0));
        ByteBuffer last = pages.batch(256, 44).pages();
        assertEquals(44 * Gfn.PAGE_SIZE, last.remaining());
    }
}
