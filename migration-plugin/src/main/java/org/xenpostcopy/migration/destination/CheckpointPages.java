package org.xenpostcopy.migration.destination;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.xen.Gfn;

/**
 * The pages of the checkpoint being built, off the Java heap: dense slots, in 4 MiB direct chunks taken as they
 * fill. A write-heavy guest owes most of its memory to a checkpoint; one buffer for all of it is a single allocation
 * the size of that memory, which a daemon's direct-memory limit refuses (run 19 of the real-Xen lab: 256 MiB at
 * once), where chunks of it fit beside the rest.
 *
 * <p>Slots stay dense (a removed page's slot takes the last one), so the pages go out in batches of
 * {@link #BATCH_PAGES} contiguous slots, none crossing a chunk.
 */
final class CheckpointPages {
    /** Pages per batch sent. */
    static final int BATCH_PAGES = 256;
    private static final int SLOTS_PER_CHUNK = 4 * BATCH_PAGES;

    /** Where each gfn sits, +1 (0: not in the checkpoint). */
    private final int[] slotOf;
    private final List<ByteBuffer> chunks = new ArrayList<>();
    private long[] gfns = new long[0];
    private int count;

    /** How a page is read into its slot; a failed read throws. */
    @FunctionalInterface
    interface PageReader {
        void readInto(long gfn, ByteBuffer page);
    }

    CheckpointPages(long gfnCount) {
        this.slotOf = new int[Math.toIntExact(gfnCount)];
    }

    int count() {
        return count;
    }

    /**
     * Reads {@code gfn}'s page into its slot (a new one, or over its older copy). A read that throws leaves the
     * gfn out of the checkpoint altogether — an older copy must not stand in for a page that could not be read —
     * and the exception goes on to the caller.
     */
    void copyIn(long gfn, PageReader reader) {
        int slot = slotOf[(int) gfn] - 1;
        boolean fresh = slot < 0;
        if (fresh) {
            slot = count;
            ensureSlot(slot);
        }
        try {
            reader.readInto(gfn, view(slot));
        } catch (RuntimeException e) {
            if (!fresh) {
                remove(slot, gfn);
            }
            throw e;
        }
        if (fresh) {
            gfns[slot] = gfn;
            slotOf[(int) gfn] = slot + 1;
            count++;
        }
    }

    /** Pages {@code [from, from + n)} in slot order; {@code from} a multiple of {@link #BATCH_PAGES}. */
    PageBatch batch(int from, int n) {
        if (from < 0 || from % BATCH_PAGES != 0 || n <= 0 || n > BATCH_PAGES || from + n > count) {
            throw new IllegalArgumentException("batch [" + from + ", " + (from + n) + ") of " + count + " pages");
        }
        long[] g = new long[n];
        System.arraycopy(gfns, from, g, 0, n);
        ByteBuffer b = chunks.get(from / SLOTS_PER_CHUNK).duplicate();
        int at = (from % SLOTS_PER_CHUNK) * Gfn.PAGE_SIZE;
        b.limit(at + n * Gfn.PAGE_SIZE).position(at);
        return new PageBatch(g, n, b.slice());
    }

    /** Forgets every page (the chunks stay, for the next checkpoint). */
    void clear() {
        for (int i = 0; i < count; i++) {
            slotOf[(int) gfns[i]] = 0;
        }
        count = 0;
    }

    /**
     * Forgets every page and lets go of the chunks too, for the collector to return to the daemon: once checkpoints
     * stop for want of direct memory, what they held must not go on starving the connections and pushes beside them.
     */
    void release() {
        clear();
        chunks.clear();
    }

    /** Direct memory held, in bytes. */
    long capacityBytes() {
        return (long) chunks.size() * SLOTS_PER_CHUNK * Gfn.PAGE_SIZE;
    }

    /** Drops {@code g}'s slot, moving the last slot into it. */
    private void remove(int slot, long g) {
        int last = count - 1;
        if (slot != last) {
            long moved = gfns[last];
            ByteBuffer dst = view(slot);
            dst.put(view(last));
            gfns[slot] = moved;
            slotOf[(int) moved] = slot + 1;
        }
        slotOf[(int) g] = 0;
        count--;
    }

    private void ensureSlot(int slot) {
        if (slot >= gfns.length) {
            long[] g = new long[Math.max(64, gfns.length * 2)];
            System.arraycopy(gfns, 0, g, 0, count);
            gfns = g;
        }
        if (slot / SLOTS_PER_CHUNK == chunks.size()) {
            chunks.add(ByteBuffer.allocateDirect(SLOTS_PER_CHUNK * Gfn.PAGE_SIZE));
        }
    }

    private ByteBuffer view(int slot) {
        ByteBuffer b = chunks.get(slot / SLOTS_PER_CHUNK).duplicate();
        int at = (slot % SLOTS_PER_CHUNK) * Gfn.PAGE_SIZE;
        b.limit(at + Gfn.PAGE_SIZE).position(at);
        return b.slice();
    }
}
