package org.xenpostcopy.xen.emulated;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.offheap.OffHeapAllocator;
import org.xenpostcopy.xen.offheap.OffHeapMemory;

/**
 * A domain's RAM: real bytes outside the Java heap, so an 8 GiB guest needs no heap and no direct-memory quota.
 * Chunks come from {@link OffHeapAllocator#system()} (anonymous mappings with transparent huge pages, which the
 * native host provides), backed lazily by the kernel, so pages a receiver has not yet loaded cost no resident memory;
 * on a persistent host, from the domain's memory file ({@link org.xenpostcopy.xen.offheap.MappedFile}).
 *
 * <p>Not synchronised: callers hold the p2m lock of the gfn they touch.
 */
final class GuestPhysicalMemory implements AutoCloseable {
    private static final Logger LOG = System.getLogger(GuestPhysicalMemory.class.getName());
    static final int CHUNK_SHIFT = 16;                 // 65536 pages = 256 MiB per chunk
    static final int CHUNK_PAGES = 1 << CHUNK_SHIFT;
    /** One huge page: the backer looks for {@link #close()} between steps, so a close waits for one at most. */
    private static final long BACKING_STEP = 2L << 20;

    /** What an evicted or ballooned-out page is scrubbed to, so a page lost by a pager shows as corrupt. */
    static final long POISON = 0xDEADBEEF_0BADF00DL;

    private final long pages;
    private final OffHeapMemory[] chunks;
    private final ByteBuffer[] views;
    /** Chunks something was written to; an untouched chunk is still the kernel's lazily zeroed mapping. */
    private final boolean[] touched;
    private Thread backer;
    private volatile boolean closing;
    private final AtomicLong unbackedBytes = new AtomicLong();

    GuestPhysicalMemory(long pages) {
        this(pages, OffHeapAllocator.system(), false);
    }

    /**
     * Memory from {@code allocator}; {@code holdsGuest}: the blocks already hold a guest's pages (a re-attached
     * domain's file), so every chunk counts as written and scrubbing is never skipped.
     */
    GuestPhysicalMemory(long pages, OffHeapAllocator allocator, boolean holdsGuest) {
        this.pages = pages;
        int n = (int) ((pages + CHUNK_PAGES - 1) >>> CHUNK_SHIFT);
        chunks = new OffHeapMemory[n];
        views = new ByteBuffer[n];
        touched = new boolean[n];
        for (int i = 0; i < n; i++) {
            long chunkPages = Math.min(CHUNK_PAGES, pages - ((long) i << CHUNK_SHIFT));
            chunks[i] = allocator.allocate(chunkPages * Gfn.PAGE_SIZE);
            views[i] = chunks[i].buffer();
            touched[i] = holdsGuest;
        }
    }

    /**
     * Backs every page with real memory on a thread of its own, 2 MiB at a time from gfn 0 up, and returns at once.
     * Xen backs a domain's memory when it creates it, from frames it already holds; this process must first have the
     * kernel find and zero them, 0.7-2.3 s per GiB in a new process here (RESULTS.md, issue 16), and a migration's
     * prepare paid that in full before its first page could move. Backed only as pages arrived, the receiver paid it
     * instead, on the page path. A page touched before the backer gets there is backed by that touch, and the backer
     * then leaves its bytes alone. At normal priority: a thread that runs only when a CPU would idle, tried too, was no
     * faster and can hold up every safepoint of the JVM (and this close) while other processes keep the CPUs busy.
     */
    void populateInBackground(String name, Holdings held) {
        if (backer != null) {
            throw new IllegalStateException("already backing " + name);
        }
        long total = 0;
        for (OffHeapMemory c : chunks) {
            total += c.size();
        }
        unbackedBytes.set(total);
        backer = new Thread(() -> backEveryChunk(held), "backer-" + name);
        backer.setDaemon(true);
        backer.start();
    }

    /**
     * Which pages the domain holds, asked by the backer just before each step. A step of pages the domain does not
     * hold (given back by its balloon, holes of the source it mirrors) is skipped: for a ballooned guest that was most
     * of the backer's work (DESIGN.md, "Backing a domain's memory off the critical path"). It stays owed, though: a
     * receiver refills its holes at the switch and its balloon deflates at the end, and the machine must have room.
     */
    @FunctionalInterface
    interface Holdings {
        /** Whether the domain holds any of the {@code count} pages from {@code gfn} ({@code gfn} a multiple of 64). */
        boolean anyHeld(long gfn, long count);
    }

    private void backEveryChunk(Holdings held) {
        try {
            for (int i = 0; i < chunks.length; i++) {
                OffHeapMemory c = chunks[i];
                for (long off = 0; off < c.size() && !closing; off += BACKING_STEP) {
                    long n = Math.min(BACKING_STEP, c.size() - off);
                    if (held.anyHeld(((long) i << CHUNK_SHIFT) + (off >>> Gfn.PAGE_SHIFT), n >>> Gfn.PAGE_SHIFT)) {
                        c.populate(off, n);
                        unbackedBytes.addAndGet(-n);
                    }
                }
            }
        } catch (RuntimeException | InternalError e) {
            // A full tmpfs under a domain's memory file answers a touch with SIGBUS, which the JVM throws as an
            // InternalError. The guest will meet the same at its first touch of such a page; here it is only said.
            LOG.log(Level.WARNING, Thread.currentThread().getName() + " could not back every page: " + e, e);
        }
    }

    /**
     * Memory this domain will take from the machine that it has not taken yet: what the backer has not backed (all of
     * it until it runs, what it skipped as not held once it is done, none once closed). A skipped step stays in it
     * after the domain writes there (a hole refilled, the balloon deflated), which then counts twice: the safe side
     * for admission, and a figure too low by up to the domain's holes until it is destroyed. A host that admits guests by what the machine has available counts it
     * as taken, or two guests created in a row would both fit in room for one.
     */
    long unbackedKiB() {
        return closing ? 0 : unbackedBytes.get() / 1024;
    }

    /** Whether the backer is still at work (for tests). */
    boolean backing() {
        return backer != null && backer.isAlive();
    }

    long pages() {
        return pages;
    }

    /** The chunk buffer holding {@code gfn}; use with {@link #offset}. Absolute accesses only. */
    ByteBuffer chunk(long gfn) {
        return views[(int) (gfn >>> CHUNK_SHIFT)];
    }

    int offset(long gfn) {
        return (int) (gfn & (CHUNK_PAGES - 1)) << Gfn.PAGE_SHIFT;
    }

    void copyOut(long gfn, ByteBuffer dst) {
        int pos = dst.position();
        dst.put(pos, chunk(gfn), offset(gfn), Gfn.PAGE_SIZE);
        dst.position(pos + Gfn.PAGE_SIZE);
    }

    void copyIn(long gfn, ByteBuffer src) {
        touched[(int) (gfn >>> CHUNK_SHIFT)] = true;
        int pos = src.position();
        chunk(gfn).put(offset(gfn), src, pos, Gfn.PAGE_SIZE);
        src.position(pos + Gfn.PAGE_SIZE);
    }

    void fill(long gfn, long value) {
        touched[(int) (gfn >>> CHUNK_SHIFT)] = true;
        ByteBuffer c = chunk(gfn);
        int base = offset(gfn);
        for (int i = 0; i < Gfn.PAGE_SIZE; i += 8) {
            c.putLong(base + i, value);
        }
    }

    /**
     * Scrubs a page that leaves the guest (evicted or ballooned out). Pages of a chunk never written hold nothing
     * of the guest's, and scrubbing them would only make the kernel back them with real memory: a receiver that
     * pages out a fresh 8 GiB domain must not cost 8 GiB before the first page arrives.
     */
    void scrub(long gfn) {
        if (touched[(int) (gfn >>> CHUNK_SHIFT)]) {
            fill(gfn, POISON);
        }
    }

    /** Guest writes go through {@link #chunk} directly; they mark the chunk here. */
    void markTouched(long gfn) {
        touched[(int) (gfn >>> CHUNK_SHIFT)] = true;
    }

    @Override
    public void close() {
        stopBacking();
        for (int i = 0; i < chunks.length; i++) {
            if (chunks[i] != null) {
                chunks[i].close();
                chunks[i] = null;
                views[i] = null;
            }
        }
    }

    /** Waits for the backer's step in progress: unmapping under its populate would fault the process. */
    private void stopBacking() {
        closing = true;
        if (backer == null) {
            return;
        }
        boolean interrupted = false;
        while (backer.isAlive()) {
            try {
                backer.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
