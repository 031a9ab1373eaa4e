package org.xenpostcopy.xen.emulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.offheap.OffHeapAllocator;
import org.xenpostcopy.xen.offheap.OffHeapMemory;

/** A domain's memory is backed on a thread of its own, which never holds up its creator nor outlives its close. */
@Timeout(60)
class GuestPhysicalMemoryTest {
    private static final long PAGES = GuestPhysicalMemory.CHUNK_PAGES + 1000;   // a whole chunk and part of one

    @Test
    void everyPageIsBackedOnceByAThreadOfItsOwnWithoutChangingIt() throws Exception {
        Recording allocator = new Recording(null);
        try (GuestPhysicalMemory memory = new GuestPhysicalMemory(PAGES, allocator, false)) {
            memory.fill(5, 0x5555_5555_5555_5555L);
            memory.populateInBackground("dom7", (gfn, count) -> true);
            assertTrue(allocator.allBacked.await(30, TimeUnit.SECONDS), "backed: " + allocator.ranges);
            awaitUnbacked(memory, 0);

            assertEquals(2, allocator.blocks.size());
            for (Block b : allocator.blocks) {
                assertEquals(b.size(), b.backedBytes(), "each byte of " + b + " once: " + allocator.ranges);
            }
            assertEquals(List.of("backer-dom7"), allocator.threads.stream().distinct().toList());
            assertEquals(0x5555_5555_5555_5555L, memory.chunk(5).getLong(memory.offset(5)));
            assertEquals(0L, memory.chunk(PAGES - 1).getLong(memory.offset(PAGES - 1)));
        }
    }

    @Test
    void pagesTheDomainNoLongerHoldsAreNotBackedButStayOwed() throws Exception {
        Recording allocator = new Recording(null);
        P2mTable p2m = new P2mTable(new org.xenpostcopy.xen.DomainId(9), PAGES, P2mTable.RAM_RW);
        // Given back, as a receiver gives back its source's holes: steps 1-3 of the first chunk whole, step 4 but
        // for its last page, and the whole second chunk (a partial one).
        long stepPages = 512;
        giveBack(p2m, stepPages, 4 * stepPages);
        giveBack(p2m, 4 * stepPages, 5 * stepPages - 1);
        giveBack(p2m, GuestPhysicalMemory.CHUNK_PAGES, PAGES);
        try (GuestPhysicalMemory memory = new GuestPhysicalMemory(PAGES, allocator, false)) {
            memory.populateInBackground("dom9", p2m::anyPopulated);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (memory.backing()) {
                assertTrue(System.nanoTime() < deadline, "the backer never finished");
                Thread.sleep(1);
            }

            List<String> expected = new ArrayList<>();
            expected.add("0:0+512");
            for (long step = 4; step < GuestPhysicalMemory.CHUNK_PAGES / stepPages; step++) {
                expected.add("0:" + step * stepPages + "+512");
            }
            assertEquals(expected, allocator.ranges, "only steps holding a page of the domain's, each once");
            assertEquals(0, allocator.blocks.get(1).backedBytes(), "a chunk given back whole costs nothing");
            assertEquals((3 * stepPages + PAGES - GuestPhysicalMemory.CHUNK_PAGES) * 4, memory.unbackedKiB(),
                    "what was skipped stays owed: the receiver refills its holes, and its balloon deflates");
        }
    }

    private static void giveBack(P2mTable p2m, long from, long to) {
        for (long g = from; g < to; g++) {
            synchronized (p2m.lock(g)) {
                p2m.set(g, P2mTable.INVALID);
            }
        }
    }

    @Test
    void closeWaitsForTheStepInProgressAndStopsTheBacker() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Recording allocator = new Recording(release);
        GuestPhysicalMemory memory = new GuestPhysicalMemory(PAGES, allocator, false);
        memory.populateInBackground("dom8", (gfn, count) -> true);
        assertTrue(allocator.stepEntered.await(30, TimeUnit.SECONDS));
        assertEquals(PAGES * 4, memory.unbackedKiB(), "all of it still owed to the machine while the first step runs");

        Thread closer = new Thread(memory::close, "closer");
        closer.start();
        awaitState(closer, Thread.State.WAITING);
        assertFalse(allocator.blocks.get(0).closed, "unmapped under a populate in progress");

        release.countDown();
        closer.join();
        assertTrue(allocator.blocks.stream().allMatch(b -> b.closed));
        assertEquals(1, allocator.ranges.size(), "the backer went on after the close: " + allocator.ranges);
        assertEquals(0, memory.unbackedKiB(), "a closed domain owes the machine nothing");
    }

    /** The backer counts a step after its populate returns, so the count may trail the allocator's by a moment. */
    private static void awaitUnbacked(GuestPhysicalMemory memory, long kib) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (memory.unbackedKiB() != kib) {
            assertTrue(System.nanoTime() < deadline, "still owed: " + memory.unbackedKiB() + " KiB");
            Thread.sleep(1);
        }
    }

    private static void awaitState(Thread t, Thread.State state) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (t.getState() != state) {
            assertNotEquals(Thread.State.TERMINATED, t.getState(), t.getName() + " ended without waiting");
            assertTrue(System.nanoTime() < deadline, t.getName() + " never waited; it is " + t.getState());
            Thread.onSpinWait();
        }
    }

    /** Heap blocks that record each populate (range and thread); with a latch, the first populate waits on it. */
    private static final class Recording implements OffHeapAllocator {
        final List<Block> blocks = new ArrayList<>();
        final List<String> ranges = java.util.Collections.synchronizedList(new ArrayList<>());
        final List<String> threads = java.util.Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch stepEntered = new CountDownLatch(1);
        final CountDownLatch allBacked = new CountDownLatch(1);
        private final CountDownLatch release;

        Recording(CountDownLatch release) {
            this.release = release;
        }

        @Override
        public OffHeapMemory allocate(long size) {
            Block b = new Block(this, size);
            blocks.add(b);
            return b;
        }

        void backed() {
            if (blocks.stream().allMatch(b -> b.backedBytes() == b.size())) {
                allBacked.countDown();
            }
        }
    }

    private static final class Block implements OffHeapMemory {
        private final Recording owner;
        private final ByteBuffer buffer;
        private long backed;
        volatile boolean closed;

        Block(Recording owner, long size) {
            this.owner = owner;
            this.buffer = ByteBuffer.allocateDirect((int) size);
        }

        @Override
        public ByteBuffer buffer() {
            return buffer;
        }

        @Override
        public long size() {
            return buffer.capacity();
        }

        synchronized long backedBytes() {
            return backed;
        }

        @Override
        public void populate(long offset, long length) {
            owner.ranges.add(owner.blocks.indexOf(this) + ":" + offset / Gfn.PAGE_SIZE + "+" + length / Gfn.PAGE_SIZE);
            owner.threads.add(Thread.currentThread().getName());
            owner.stepEntered.countDown();
            if (owner.release != null) {
                try {
                    owner.release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            OffHeapMemory.super.populate(offset, length);
            synchronized (this) {
                backed += length;
            }
            owner.backed();
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
