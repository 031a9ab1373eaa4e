package org.xenpostcopy.migration.source;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.xenpostcopy.xen.Gfn;

/**
 * Pages by gfn, off the Java heap: a 4 KiB slot for each gfn that has one, in 16 MiB direct chunks, the slots of
 * removed gfns reused. Checkpoints can amount to most of a guest's memory, written again every second: kept as
 * objects they would be that much garbage, and that much heap.
 */
final class PageSlots {
    private static final int SLOTS_PER_CHUNK = 4096;

    /** Each gfn's slot + 1; 0: none. */
    private final int[] slotOf;
    private final List<ByteBuffer> chunks = new ArrayList<>();
    private int[] free = new int[64];
    private int freeCount;
    private int slotsMade;
    private int size;

    PageSlots(long gfnCount) {
        this.slotOf = new int[Math.toIntExact(gfnCount)];
    }

    /** How many gfns have a page. */
    int size() {
        return size;
    }

    boolean contains(long gfn) {
        return slotOf[(int) gfn] != 0;
    }

    /** Copies 4096 bytes from {@code src}'s position (which advances) as {@code gfn}'s page. */
    void put(long gfn, ByteBuffer src) {
        int slot = slotOf[(int) gfn] - 1;
        if (slot < 0) {
            slot = newSlot();
            slotOf[(int) gfn] = slot + 1;
            size++;
        }
        ByteBuffer page = src.duplicate();
        page.limit(page.position() + Gfn.PAGE_SIZE);
        view(slot).put(page);
        src.position(src.position() + Gfn.PAGE_SIZE);
    }

    void remove(long gfn) {
        int slot = slotOf[(int) gfn] - 1;
        if (slot < 0) {
            return;
        }
        slotOf[(int) gfn] = 0;
        size--;
        if (freeCount == free.length) {
            int[] bigger = new int[free.length * 2];
            System.arraycopy(free, 0, bigger, 0, freeCount);
            free = bigger;
        }
        free[freeCount++] = slot;
    }

    /** Every page, in gfn order, as a read-only view valid until this changes. */
    void forEach(CheckpointStore.PageWriter visit) {
        for (int g = 0; g < slotOf.length && size > 0; g++) {
            if (slotOf[g] != 0) {
                visit.write(g, view(slotOf[g] - 1).asReadOnlyBuffer());
            }
        }
    }

    /** Copies every page of {@code other} over this one's. */
    void putAll(PageSlots other) {
        other.forEach((gfn, page) -> put(gfn, page));
    }

    /** Removes every page (the chunks stay, for the next use). */
    void clear() {
        for (int g = 0; g < slotOf.length && size > 0; g++) {
            if (slotOf[g] != 0) {
                remove(g);
            }
        }
    }

    private int newSlot() {
        if (freeCount > 0) {
            return free[--freeCount];
        }
        int slot = slotsMade++;
        if (slot / SLOTS_PER_CHUNK == chunks.size()) {
            chunks.add(ByteBuffer.allocateDirect(SLOTS_PER_CHUNK * Gfn.PAGE_SIZE));
        }
        return slot;
    }

    private ByteBuffer view(int slot) {
        ByteBuffer b = chunks.get(slot / SLOTS_PER_CHUNK).duplicate();
        int at = (slot % SLOTS_PER_CHUNK) * Gfn.PAGE_SIZE;
        b.limit(at + Gfn.PAGE_SIZE).position(at);
        return b.slice();
    }
}
