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
     * Backs every page with memory now, as Xen populates a domain's physmap when it creates it, so later first
     * touches take no page fault.
     */
    void populate();

    /** Gives the memory back; the buffer must not be used afterwards. A second call does nothing. */
    @Override
    void close();
}
