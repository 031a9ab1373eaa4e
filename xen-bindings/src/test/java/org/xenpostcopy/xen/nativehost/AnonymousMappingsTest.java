package org.xenpostcopy.xen.nativehost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.sun.jna.Memory;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.offheap.OffHeapAllocator;
import org.xenpostcopy.xen.offheap.OffHeapMemory;

/** Guest memory as anonymous mappings: on this machine's libc, and its error paths on a mocked one. */
class AnonymousMappingsTest {
    private static final long SIZE = 3 * AnonymousMappings.HUGE + 4096;   // not a multiple of 2 MiB on purpose

    @Test
    void theEmulatedHostsAllocatorIsThisOneOnLinux() {
        assumeTrue(Platform.isLinux());
        assertInstanceOf(AnonymousMappings.class, OffHeapAllocator.system());
    }

    @Test
    void aBlockIsZeroedLittleEndianWritableAndStartsOnAHugePage() {
        assumeTrue(Platform.isLinux());
        try (OffHeapMemory m = new AnonymousMappings().allocate(SIZE)) {
            ByteBuffer b = m.buffer();
            assertEquals(SIZE, m.size());
            assertEquals(SIZE, b.capacity());
            assertEquals(ByteOrder.LITTLE_ENDIAN, b.order());
            assertEquals(0L, b.getLong(0));
            assertEquals(0L, b.getLong((int) SIZE - 8));
            b.putLong(0, 0x0102030405060708L);
            b.putLong((int) SIZE - 8, -1L);
            assertEquals(0x08, b.get(0));
            assertEquals(-1L, b.getLong((int) SIZE - 8));
            assertEquals(0, ((AnonymousMappings.Mapping) m).address() % AnonymousMappings.HUGE);
        }
    }

    @Test
    void aBlockCostsNothingUntilPopulatedAndIsAdvisedForHugePages() throws IOException {
        assumeTrue(Platform.isLinux() && Files.isDirectory(Path.of("/sys/kernel/mm/transparent_hugepage")));
        try (OffHeapMemory m = new AnonymousMappings().allocate(SIZE)) {
            long address = ((AnonymousMappings.Mapping) m).address();
            assertEquals(0, Vma.containing(address).rssKiB(), "lazily backed");
            assertTrue(Vma.containing(address).flags().contains("hg"), "MADV_HUGEPAGE applied");
            m.populate(0, SIZE);
            assertTrue(Vma.containing(address).rssKiB() >= SIZE / 1024, "populated: " + Vma.containing(address));
        }
    }

    @Test
    void populatingARangeBacksItAndKeepsEveryByteAlreadyThere() throws IOException {
        assumeTrue(Platform.isLinux() && Files.isDirectory(Path.of("/sys/kernel/mm/transparent_hugepage")));
        try (OffHeapMemory m = new AnonymousMappings().allocate(SIZE)) {
            long address = ((AnonymousMappings.Mapping) m).address();
            ByteBuffer b = m.buffer();
            b.putLong(8, 0x1122334455667788L);   // the second word of the first page
            b.putLong(2 * 4096, -2L);           // the first word of the third page, which the touch adds to
            m.populate(0, 3 * 4096);
            assertEquals(0x1122334455667788L, b.getLong(8));
            assertEquals(-2L, b.getLong(2 * 4096));
            assertEquals(0L, b.getLong(4096));

            // The second 2 MiB were never touched: populating a part of them gives the mapping memory of its own
            // (a read alone would map the shared zero page, which is not).
            long before = Vma.containing(address).anonymousKiB();
            m.populate(AnonymousMappings.HUGE, 3 * 4096);
            long after = Vma.containing(address).anonymousKiB();
            assertTrue(after >= before + 12, "populated: " + before + " KiB anonymous before, " + after + " after");
            assertEquals(0L, b.getLong((int) AnonymousMappings.HUGE));
            assertThrows(IndexOutOfBoundsException.class, () -> m.populate(SIZE - 4096, 4097));
        }
    }

    @Test
    void aFailedMmapThrowsNamingTheCall() {
        LibC libc = mock(LibC.class);
        when(libc.mmap(any(), anyLong(), anyInt(), anyInt(), anyInt(), anyLong()))
                .thenReturn(new Pointer(LibC.MAP_FAILED));
        XenException e = assertThrows(XenException.class, () -> new AnonymousMappings(libc).allocate(SIZE));
        assertEquals("mmap", e.call());
        verify(libc, never()).munmap(any(), anyLong());
    }

    @Test
    void aBlockIsAdvisedFromItsAlignedStartAndUnmappedWholeOnce() {
        try (Memory region = new Memory(SIZE + 2 * AnonymousMappings.HUGE)) {
            // the "mapping" starts 4 KiB past a 2 MiB boundary, as mmap may return it
            long aligned = (Pointer.nativeValue(region) + AnonymousMappings.HUGE - 1) & -AnonymousMappings.HUGE;
            Pointer mapping = new Pointer(aligned + 4096);
            Pointer base = new Pointer(aligned + AnonymousMappings.HUGE);
            LibC libc = mock(LibC.class);
            when(libc.mmap(any(), anyLong(), anyInt(), anyInt(), anyInt(), anyLong())).thenReturn(mapping);

            OffHeapMemory m = new AnonymousMappings(libc).allocate(SIZE);
            verify(libc).mmap(null, SIZE + AnonymousMappings.HUGE, LibC.PROT_READ | LibC.PROT_WRITE,
                    LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
            verify(libc).madvise(base, SIZE, LibC.MADV_HUGEPAGE);
            assertEquals(Pointer.nativeValue(base), ((AnonymousMappings.Mapping) m).address());
            m.close();
            m.close();
            verify(libc, times(1)).munmap(eq(mapping), eq(SIZE + AnonymousMappings.HUGE));
        }
    }

    /** One mapping of this process, from {@code /proc/self/smaps}. */
    /** {@code anonymousKiB}: memory of the mapping's own, which the shared zero page a read maps is not. */
    private record Vma(long start, long end, long rssKiB, long anonymousKiB, List<String> flags) {
        static Vma containing(long address) throws IOException {
            List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
            for (int i = 0; i < lines.size(); i++) {
                String[] head = lines.get(i).split(" ", 2)[0].split("-");
                if (head.length != 2 || !head[0].matches("[0-9a-f]+")) {
                    continue;
                }
                long start = Long.parseUnsignedLong(head[0], 16);
                long end = Long.parseUnsignedLong(head[1], 16);
                if (address < start || address >= end) {
                    continue;
                }
                long rss = -1;
                long anonymous = -1;
                List<String> flags = List.of();
                for (int j = i + 1; j < lines.size() && !lines.get(j).matches("^[0-9a-f]+-.*"); j++) {
                    String[] kv = lines.get(j).trim().split(":\\s*", 2);
                    if (kv[0].equals("Rss")) {
                        rss = Long.parseLong(kv[1].replace("kB", "").trim());
                    } else if (kv[0].equals("Anonymous")) {
                        anonymous = Long.parseLong(kv[1].replace("kB", "").trim());
                    } else if (kv[0].equals("VmFlags")) {
                        flags = List.of(kv[1].trim().split("\\s+"));
                    }
                }
                return new Vma(start, end, rss, anonymous, flags);
            }
            throw new AssertionError("no mapping holds 0x" + Long.toHexString(address));
        }
    }
}
