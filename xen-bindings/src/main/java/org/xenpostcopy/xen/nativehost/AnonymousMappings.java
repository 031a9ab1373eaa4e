package org.xenpostcopy.xen.nativehost;

import com.sun.jna.Memory;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.xenpostcopy.xen.offheap.OffHeapAllocator;
import org.xenpostcopy.xen.offheap.OffHeapMemory;

/**
 * Guest memory as anonymous mappings, backed lazily by the kernel and, on Linux, by transparent huge pages where the
 * system allows them ({@code madvise} mode is the common default). A guest's first touch of a page then costs one
 * fault per 2 MiB instead of one per 4 KiB — under a virtualised kernel, the 4 KiB faults of a receiver loading a
 * 1 GiB guest cost more than copying the pages did. Elsewhere than Linux, plain {@code malloc} (JNA {@link Memory}).
 *
 * <p>The emulated host's {@link OffHeapAllocator#system()}, registered in {@code META-INF/services}.
 */
public final class AnonymousMappings implements OffHeapAllocator {
    static final long HUGE = 2L << 20;

    private final LibC libc;

    /** The service: libc on Linux, none elsewhere. */
    public AnonymousMappings() {
        this(Platform.isLinux() ? LibC.INSTANCE : null);
    }

    AnonymousMappings(LibC libc) {
        this.libc = libc;
    }

    @Override
    public OffHeapMemory allocate(long size) {
        if (size <= 0 || size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("one block holds 1 byte to 2 GiB, not " + size);
        }
        return libc != null ? new Mapping(libc, size) : new Malloced(size);
    }

    /** {@code mmap} of {@code size} + 2 MiB, used from the first 2 MiB boundary so huge pages can back it whole. */
    static final class Mapping implements OffHeapMemory {
        private final LibC libc;
        private final long size;
        private final Pointer base;
        private final ByteBuffer view;
        private Pointer mapping;
        private final long mappingLength;

        Mapping(LibC libc, long size) {
            this.libc = libc;
            this.size = size;
            mappingLength = size + HUGE;
            Pointer p = libc.mmap(null, mappingLength, LibC.PROT_READ | LibC.PROT_WRITE,
                    LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
            if (p == null || Pointer.nativeValue(p) == LibC.MAP_FAILED) {
                throw XenErrors.failure("mmap", mappingLength + " bytes of guest memory");
            }
            mapping = p;
            long addr = Pointer.nativeValue(p);
            base = new Pointer((addr + HUGE - 1) & -HUGE);
            libc.madvise(base, size, LibC.MADV_HUGEPAGE);   // advice only: without THP the kernel says EINVAL; fine
            view = base.getByteBuffer(0, size).order(ByteOrder.LITTLE_ENDIAN);
        }

        /** Where the block starts: a 2 MiB boundary. */
        long address() {
            return Pointer.nativeValue(base);
        }

        @Override
        public ByteBuffer buffer() {
            return view;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public void close() {
            if (mapping != null) {
                XenErrors.check(libc.munmap(mapping, mappingLength), "munmap",
                        mappingLength + " bytes of guest memory");
                mapping = null;
            }
        }
    }

    /** Elsewhere than Linux: {@code malloc}, lazily backed by the system's allocator as far as it cares to. */
    static final class Malloced implements OffHeapMemory {
        private final long size;
        private final ByteBuffer view;
        private Memory memory;

        Malloced(long size) {
            this.size = size;
            memory = new Memory(size);
            view = memory.getByteBuffer(0, size).order(ByteOrder.LITTLE_ENDIAN);
        }

        @Override
        public ByteBuffer buffer() {
            return view;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public void close() {
            if (memory != null) {
                memory.close();
                memory = null;
            }
        }
    }
}
