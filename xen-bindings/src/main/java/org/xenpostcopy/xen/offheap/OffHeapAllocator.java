package org.xenpostcopy.xen.offheap;

import java.util.ServiceLoader;

/**
 * Where off-heap memory comes from. A service ({@link ServiceLoader}): xen-bindings registers the native host's
 * {@code org.xenpostcopy.xen.nativehost.AnonymousMappings} (anonymous {@code mmap} with transparent huge pages) in
 * {@code META-INF/services}, so the emulated host gets it without naming the native host's package.
 */
public interface OffHeapAllocator {
    /**
     * A new block of {@code size} bytes (at most 2 GiB).
     *
     * @throws org.xenpostcopy.xen.XenException naming the call, when the memory cannot be had
     */
    OffHeapMemory allocate(long size);

    /**
     * The first registered allocator that loads here, looked up once.
     *
     * @throws IllegalStateException with one sentence saying why, when none does
     */
    static OffHeapAllocator system() {
        return SystemAllocator.get();
    }
}

