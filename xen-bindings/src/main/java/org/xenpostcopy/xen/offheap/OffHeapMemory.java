package org.xenpostcopy.xen.offheap;

import java.nio.ByteBuffer;

/**
 * A block of memory outside the Java heap and outside {@code -XX:MaxDirectMemorySize}, backed lazily: a page costs
 * resident memory only once it is touched or {@linkplain #populate() populated}. At most 2 GiB, seen as one
 * little-endian {@link ByteBuffer}. Its owner closes it once, after every user of the buffer is done.
 */
public interface OffHeapMemory extends AutoCloseable {
    /** The whole block, little-endian, shared by every caller: use absolute accesses only. */
    ByteBuffer buffer();

    long size();

    /**
     * Backs the pages of {@code [offset, offset + length)} with memory now, so a later first touch takes no page fault:
     * an atomic add of zero to each page's first word. It is a write, so the kernel backs the page writable at once,
     * and it stores nothing a concurrent writer could lose. It faults pages in one by one, under the kernel's
     * per-mapping lock where the kernel has one (Linux 6.4 on; before, the process's {@code mmap} lock, for reading,
     * one fault at a time). {@code MADV_POPULATE_WRITE} holds the process-wide {@code mmap} lock for the whole range,
     * and every {@code mmap} of the JVM's, and every fault queued behind one, waited for it: a migration's downtime
     * went from 15-25 ms to 50-130 ms while a domain was being backed (RESULTS.md, issue 16). Safe beside readers and
     * writers of those pages; not beside {@link #close()}.
     */
    default void populate(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > size()) {
            throw new IndexOutOfBoundsException("bytes " + offset + ".." + (offset + length) + " of a block of "
                    + size());
        }
        PageToucher.touch(buffer(), offset, offset + length);
    }

    /** Gives the memory back; the buffer must not be used afterwards. A second call does nothing. */
    @Override
    void close();
}
