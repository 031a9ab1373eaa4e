package org.xenpostcopy.xen.emulated.guest;

import static org.xenpostcopy.xen.emulated.guest.GuestLayout.ENTRIES_PER_PAGE;

/**
 * The guest kernel's state where it lives, in guest memory ({@link GuestLayout}): superblock fields, frame-table
 * entries and page-table entries. Every read and write goes through {@link GuestPlatform#access}, so it faults on
 * paged-out gfns like any guest code. Callers hold the kernel lock to change anything, and to read what other vCPUs change.
 */
final class KernelState {
    private final GuestPlatform platform;
    private final GuestLayout layout;

    KernelState(GuestPlatform platform, GuestLayout layout) {
        this.platform = platform;
        this.layout = layout;
    }

    private long readLong(int vcpu, long gfn, int off) throws InterruptedException {
        return platform.access(vcpu, gfn, false, (b, o) -> b.getLong(o + off));
    }

    private void writeLong(int vcpu, long gfn, int off, long value) throws InterruptedException {
        platform.access(vcpu, gfn, true, (b, o) -> b.putLong(o + off, value));
    }

    /** A superblock field. */
    long sb(int vcpu, int field) throws InterruptedException {
        return readLong(vcpu, 0, field);
    }

    void sbSet(int vcpu, int field, long value) throws InterruptedException {
        writeLong(vcpu, 0, field, value);
    }

    void sbAdd(int vcpu, int field, long delta) throws InterruptedException {
        platform.access(vcpu, 0, true, (b, o) -> b.putLong(o + field, b.getLong(o + field) + delta));
    }

    /** A page write by {@code vcpu}: counted guest-wide and for the vCPU, in one access to the superblock. */
    void countWrite(int vcpu) throws InterruptedException {
        int own = GuestLayout.SB_WRITES_BY_VCPU + vcpu * 8;
        platform.access(vcpu, 0, true, (b, o) -> {
            b.putLong(o + GuestLayout.SB_VCPU_WRITES, b.getLong(o + GuestLayout.SB_VCPU_WRITES) + 1);
            b.putLong(o + own, b.getLong(o + own) + 1);
            return null;
        });
    }

    /** The frame-table entry of {@code gfn}: state and version. */
    long frame(int vcpu, long gfn) throws InterruptedException {
        return readLong(vcpu, layout.frameEntryGfn(gfn), layout.frameEntryOffset(gfn));
    }

    void setFrame(int vcpu, long gfn, int state, long version) throws InterruptedException {
        writeLong(vcpu, layout.frameEntryGfn(gfn), layout.frameEntryOffset(gfn), GuestLayout.entry(state, version));
    }

    /** The page-table entry of virtual page {@code vpn}: 0 if unmapped, else gfn + 1. */
    long pte(int vcpu, long vpn) throws InterruptedException {
        return readLong(vcpu, layout.pteGfn(vpn), layout.pteOffset(vpn));
    }

    void setPte(int vcpu, long vpn, long gfnPlusOne) throws InterruptedException {
        writeLong(vcpu, layout.pteGfn(vpn), layout.pteOffset(vpn), gfnPlusOne);
    }

    /** The data gfn behind {@code vpn}; the guest crashes if it is unmapped or its entry is corrupt. */
    long mapped(int vcpu, long vpn) throws InterruptedException {
        long e = pte(vcpu, vpn);
        if (e == 0) {
            throw new GuestCrashException("virtual page " + vpn + " is not mapped");
        }
        long gfn = e - 1;
        if (gfn < layout.dataStart() || gfn >= layout.pages()) {
            throw new GuestCrashException("page table entry of virtual page " + vpn + " is corrupt: " + e);
        }
        return gfn;
    }

    /**
     * Finds a data gfn in {@code state}, scanning from the hint stored at {@code hintField} in {@code direction},
     * wrapping once. Returns -1 if there is none.
     */
    long findFrame(int vcpu, int state, int hintField, int direction) throws InterruptedException {
        long start = layout.dataStart();
        long end = layout.pages();
        long span = end - start;
        long hint = sb(vcpu, hintField);
        if (hint < start || hint >= end) {
            hint = direction > 0 ? start : end - 1;
        }
        for (long i = 0; i < span; ) {
            long gfn = start + Math.floorMod(hint - start + direction * i, span);
            // Read a whole frame-table page at once: one access instead of 512.
            long ftGfn = layout.frameEntryGfn(gfn);
            long firstOfPage = (gfn / ENTRIES_PER_PAGE) * ENTRIES_PER_PAGE;
            long found = platform.access(vcpu, ftGfn, false, (b, o) -> {
                long g = gfn;
                while (g >= Math.max(start, firstOfPage) && g < Math.min(end, firstOfPage + ENTRIES_PER_PAGE)) {
                    if (GuestLayout.state(b.getLong(o + (int) (g - firstOfPage) * 8)) == state) {
                        return g;
                    }
                    g += direction;
                }
                return -1L - Math.abs(g - gfn); // encode how many were scanned
            });
            if (found >= 0) {
                return found;
            }
            i += -1L - found;
        }
        return -1;
    }
}
