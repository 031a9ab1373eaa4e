package org.xenpostcopy.xen.emulated;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A block of anonymous memory outside the Java heap, backed lazily by the kernel and, on Linux, by transparent
 * huge pages where the system allows them ({@code madvise} mode is the common default). A guest's first touch of a
 * page then costs one fault per 2 MiB instead of one per 4 KiB — under a virtualised kernel, the 4 KiB faults of a
 * receiver loading a 1 GiB guest cost more than copying the pages did.
 */
final class AnonymousMemory implements AutoCloseable {
    private static final long HUGE = 2L << 20;
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_NORESERVE = 0x4000;
    private static final int MADV_HUGEPAGE = 14;
    private static final int MADV_POPULATE_WRITE = 23;   // Linux 5.14+

    /** The few libc calls needed; loaded once, only on Linux. */
    private interface LibC extends Library {
        Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset);

        int munmap(Pointer addr, long length);

        int madvise(Pointer addr, long length, int advice);
    }

    private static final LibC LIBC = Platform.isLinux() ? Native.load("c", LibC.class) : null;

    private final long size;
    private Pointer mapping;
    private long mappingLength;
    private long alignOffset;
    private Memory fallback;
    private final ByteBuffer view;

    AnonymousMemory(long size) {
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("one block holds at most 2 GiB");
        }
        this.size = size;
        Pointer base = null;
        if (LIBC != null) {
            long len = size + HUGE;
            Pointer p = LIBC.mmap(null, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (p != null && Pointer.nativeValue(p) != -1L) {
                mapping = p;
                mappingLength = len;
                long addr = Pointer.nativeValue(p);
                long aligned = (addr + HUGE - 1) & -HUGE;
                alignOffset = aligned - addr;
                base = new Pointer(aligned);
                LIBC.madvise(base, size, MADV_HUGEPAGE);   // advice only: without THP it is ignored
            }
        }
        if (base == null) {
            fallback = new Memory(size);
            base = fallback;
        }
        view = base.getByteBuffer(0, size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Backs the whole block with memory now, as Xen populates a domain's physmap when it creates it, so later first
     * touches do not each take a fault. Uses {@code MADV_POPULATE_WRITE} where the kernel has it, else touches one
     * byte per page.
     */
    void populate() {
        if (mapping != null && LIBC.madvise(new Pointer(Pointer.nativeValue(mapping) + alignOffset), size,
                MADV_POPULATE_WRITE) == 0) {
            return;
        }
        for (int off = 0; off < size; off += 4096) {
            view.put(off, view.get(off));
        }
    }

    ByteBuffer buffer() {
        return view;
    }

    long size() {
        return size;
    }

    @Override
    public void close() {
        if (mapping != null) {
            LIBC.munmap(mapping, mappingLength);
            mapping = null;
        }
        if (fallback != null) {
            fallback.close();
            fallback = null;
        }
    }
}
