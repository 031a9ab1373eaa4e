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

    /** Page {@code i} as its own 4096-byte view. */
    public ByteBuffer page(int i) {
        int base = pages.position() + i * Gfn.PAGE_SIZE;
        return pages.duplicate().limit(base + Gfn.PAGE_SIZE).position(base);
    }

    public static PageBatch empty() {
        return new PageBatch(new long[0], 0, ByteBuffer.allocate(0));
    }
}
