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
            long word = (long) WORD.getVolatile(view, (int) off);
            WORD.compareAndSet(view, (int) off, word, word);   // fails only if a writer got there: backed all the same
        }
    }
}
