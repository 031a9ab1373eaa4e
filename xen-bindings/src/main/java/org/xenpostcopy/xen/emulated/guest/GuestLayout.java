package org.xenpostcopy.xen.emulated.guest;

/**
 * Where the guest kernel keeps its state in guest-physical memory. Everything a guest needs to carry on after a
 * migration is here or in the vCPU registers; nothing lives only in the JVM.
 *
 * <pre>
 *   gfn 0                      superblock (counters below; one write counter per vCPU from byte 1024)
 *   gfn 1 ..                   frame table: one 8-byte entry per gfn, state (top 8 bits) | version (low 56)
 *   after it                   page table: one 8-byte entry per virtual page, 0 = unmapped, else gfn + 1
 *   dataStart .. pages-1       data pages, each holding {@link PagePattern}(seed, gfn, version)
 * </pre>
 */
public record GuestLayout(long pages, long frameTableStart, long frameTablePages, long pageTableStart,
                          long pageTablePages, long dataStart) {
    public static final long MAGIC = 0x58504347_55455354L; // "XPCGUEST"
    public static final int ENTRIES_PER_PAGE = 512;

    // superblock fields (byte offsets in gfn 0)
    static final int SB_MAGIC = 0;
    static final int SB_SEED = 8;
    static final int SB_PAGES = 16;
    static final int SB_VCPU_WRITES = 24;
    static final int SB_KERNEL_WRITES = 32;
    static final int SB_FREE = 40;
    static final int SB_BALLOONED = 48;
    static final int SB_USED = 56;
    static final int SB_PRESSURE = 64;
    static final int SB_ALLOC_HINT = 72;
    static final int SB_BALLOON_HINT = 80;
    static final int SB_VCPUS = 88;
    /** Per vCPU: the page writes it made (8 bytes each, vCPU 0 first), so the oracle checks each vCPU's count. */
    static final int SB_WRITES_BY_VCPU = 1024;

    /** The most vCPUs an emulated guest has (Xen allows more; the superblock has room for this many counters). */
    public static final int MAX_VCPUS = 8;

    // frame states
    public static final int RESERVED = 1;
    public static final int FREE = 2;
    public static final int USED = 3;
    public static final int BALLOONED = 4;

    static final long VERSION_MASK = (1L << 56) - 1;

    public static GuestLayout forPages(long pages) {
        long ft = (pages + ENTRIES_PER_PAGE - 1) / ENTRIES_PER_PAGE;
        long pt = ft;
        long dataStart = 1 + ft + pt;
        if (dataStart >= pages) {
            throw new IllegalArgumentException("guest of " + pages + " pages is too small for its kernel");
        }
        return new GuestLayout(pages, 1, ft, 1 + ft, pt, dataStart);
    }

    public long dataPages() {
        return pages - dataStart;
    }

    /**
     * The virtual pages each of {@code vcpus} vCPUs has: the address space is cut in equal slices, one per vCPU, as
     * each vCPU ran a process of its own. A vCPU's virtual page {@code v} is the guest's {@code vcpu * slice + v}.
     */
    public long vpnSlice(int vcpus) {
        return dataPages() / vcpus;
    }

    long frameEntryGfn(long gfn) {
        return frameTableStart + gfn / ENTRIES_PER_PAGE;
    }

    int frameEntryOffset(long gfn) {
        return (int) (gfn % ENTRIES_PER_PAGE) * 8;
    }

    long pteGfn(long vpn) {
        return pageTableStart + vpn / ENTRIES_PER_PAGE;
    }

    int pteOffset(long vpn) {
        return (int) (vpn % ENTRIES_PER_PAGE) * 8;
    }

    static int state(long entry) {
        return (int) (entry >>> 56);
    }

    static long version(long entry) {
        return entry & VERSION_MASK;
    }

    static long entry(int state, long version) {
        return ((long) state << 56) | (version & VERSION_MASK);
    }
}
