package org.xenpostcopy.migration.peer;

import java.nio.ByteBuffer;
import org.xenpostcopy.xen.Gfn;

/**
 * Pages on their way: the first {@code count} entries of {@code gfns}, and their contents, 4096 bytes each in the
 * same order, between {@code pages}' position and limit. Arrays and buffers are lent, not copied: a batch is
 * valid only during the call that carries it (the sender reuses both for its next batch).
 */
public record PageBatch(long[] gfns, int count, ByteBuffer pages) {
    public PageBatch {
        if (count < 0 || count > gfns.length) {
            throw new IllegalArgumentException(count + " pages named but " + gfns.length + " gfn slots");
        }
        if (pages.remaining() != (long) count * Gfn.PAGE_SIZE) {
            throw new IllegalArgumentException("a payload of " + pages.remaining() + " bytes does not hold " + count
                    + " pages of " + Gfn.PAGE_SIZE);
        }
    }

    /** Receives one page of a batch: its gfn and a 4096-byte view, valid only during the call. */
    @FunctionalInterface
    public interface PageVisitor {
        void page(long gfn, ByteBuffer page);
    }

    /** Visits every page in order through one reused view (no object per page on the receive path). */
    public void forEach(PageVisitor visitor) {
        ByteBuffer view = pages.duplicate();
        int base = pages.position();
        for (int i = 0; i < count; i++) {
            view.limit(base + (i + 1) * Gfn.PAGE_SIZE).position(base + i * Gfn.PAGE_SIZE);
            visitor.page(gfns[i], view);
        }
    }
}
