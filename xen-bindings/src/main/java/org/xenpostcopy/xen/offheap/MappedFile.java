package org.xenpostcopy.xen.offheap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Off-heap memory that is a file: consecutive blocks of one file, each mapped shared ({@code MAP_SHARED} through
 * {@link FileChannel#map}), so every store lands in the file's pages at once — in the page cache, where it outlives
 * the process (a SIGKILL loses nothing written) and, on tmpfs ({@code /dev/shm}), costs the same memory an anonymous
 * mapping would. Opening the same file again and allocating the same sizes in the same order maps the same bytes:
 * that is how a restarted emulated host gets its guests' memory back.
 *
 * <p>Plain Java: no JNA, so the emulated host may use it directly. Unlike {@code AnonymousMappings} it gets no
 * transparent huge pages (tmpfs gives them only when mounted {@code huge=}), which {@code docs/DESIGN.md} measures.
 */
public final class MappedFile implements OffHeapAllocator {
    private final Path file;
    private long next;

    /** Blocks of {@code file}, from its start; the file is created if missing and grows as blocks are allocated. */
    public MappedFile(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    @Override
    public synchronized OffHeapMemory allocate(long size) {
        if (size <= 0 || size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("one block holds 1 byte to 2 GiB, not " + size);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            // map() grows the file, sparse, to cover the block; the mapping stays valid after the channel closes
            MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_WRITE, next, size);
            next += size;
            return new Block(b, size);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map " + size + " bytes of " + file + " at " + next, e);
        }
    }

    private static final class Block implements OffHeapMemory {
        private final long size;
        private MappedByteBuffer mapped;
        private final ByteBuffer view;

        Block(MappedByteBuffer mapped, long size) {
            this.mapped = mapped;
            this.size = size;
            this.view = mapped.duplicate().order(ByteOrder.LITTLE_ENDIAN);
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
        public synchronized void close() {
            if (mapped != null) {
                Unmapper.unmap(mapped);
                mapped = null;
            }
        }
    }

    /**
     * Unmaps at once rather than when the collector gets to the buffer: a destroyed guest's file is deleted, and its
     * tmpfs pages are freed only when the last mapping goes. {@code sun.misc.Unsafe.invokeCleaner} (module
     * {@code jdk.unsupported}, open to every module) is the JDK's only way; found by reflection so the build needs
     * no special flags. Without it the mapping goes with the buffer's garbage collection.
     */
    private static final class Unmapper {
        private static final Object UNSAFE;
        private static final Method INVOKE_CLEANER;

        static {
            Object unsafe = null;
            Method m = null;
            try {
                Class<?> c = Class.forName("sun.misc.Unsafe");
                Field f = c.getDeclaredField("theUnsafe");
                f.setAccessible(true);
                unsafe = f.get(null);
                m = c.getMethod("invokeCleaner", ByteBuffer.class);
            } catch (ReflectiveOperationException | RuntimeException e) {
                unsafe = null;
                m = null;
            }
            UNSAFE = unsafe;
            INVOKE_CLEANER = m;
        }

        static void unmap(MappedByteBuffer b) {
            if (INVOKE_CLEANER == null) {
                return;
            }
            try {
                INVOKE_CLEANER.invoke(UNSAFE, b);
            } catch (ReflectiveOperationException e) {
                // left to the collector
            }
        }
    }
}
