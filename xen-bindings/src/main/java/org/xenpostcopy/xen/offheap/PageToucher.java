package org.xenpostcopy.xen.offheap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Write-faults pages of off-heap memory in without changing a byte: see {@link OffHeapMemory#populate}. */
final class PageToucher {
    private static final VarHandle WORD = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long PAGE = 4096;

    private PageToucher() {
    }

    /** Every page that has a byte in {@code [from, to)} of {@code view}. */
    static void touch(ByteBuffer view, long from, long to) {
        for (long off = from & -PAGE; off < to; off += PAGE) {
            // One locked add of zero: the first access is a write, so the kernel backs the page (a huge page where it
            // may) at once, where a read first would map the shared zero page and a write after it split that.
            WORD.getAndAdd(view, (int) off, 0L);
        }
    }
}
