package org.xenpostcopy.xen.emulated.guest;

import static org.xenpostcopy.xen.emulated.guest.GuestLayout.*;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.xenpostcopy.xen.Gfn;

/**
 * The emulated guest's kernel: a page allocator over a frame table, a page table mapping the workload's virtual
 * pages to gfns, and checked reads and writes of data pages. All of its state is in guest memory (see
 * {@link GuestLayout}, read and written through {@link KernelState}); every access goes through
 * {@link GuestPlatform#access}, so it faults on paged-out gfns like any guest code.
 *
 * <p>Each vCPU runs its program in a slice of the virtual address space of its own ({@link GuestLayout#vpnSlice}),
 * as a process of its own would. One kernel lock guards the shared state (superblock, frame table, page table), and
 * a vCPU that takes it keeps it until its operation ends ({@link #endOperation}): two-phase, so no vCPU changes a
 * kernel page that another's operation changed and has not yet committed, and on a persistent host each vCPU's
 * undo log holds pages no other log holds. Reads and writes of a vCPU's own mapped pages run without the lock up to
 * their last step — its page-table entries and its frames' entries change only in its own operations — so vCPUs
 * fault on data pages in parallel, as Xen's do, while a fault inside the kernel's pages stalls every vCPU that
 * wants the lock, as a fault under a kernel lock would.
 */
public final class GuestKernel {
    private final GuestPlatform platform;
    private final GuestLayout layout;
    private final int vcpus;
    private final long slice;
    private final long seed;
    private final OracleLog console;
    private final KernelState state;
    private final ReentrantLock lock = new ReentrantLock();
    /** A vCPU died holding the lock inside an operation: the lock is never free again. */
    private volatile boolean abandoned;

    public GuestKernel(GuestPlatform platform, int vcpus, long seed, OracleLog console) {
        this.platform = platform;
        this.layout = GuestLayout.forPages(platform.pages());
        if (vcpus < 1 || vcpus > GuestLayout.MAX_VCPUS) {
            throw new IllegalArgumentException("an emulated guest has 1.." + GuestLayout.MAX_VCPUS + " vCPUs, not " + vcpus);
        }
        this.vcpus = vcpus;
        this.slice = layout.vpnSlice(vcpus);
        this.state = new KernelState(platform, layout);
        this.seed = seed;
        this.console = console;
    }

    public GuestLayout layout() {
        return layout;
    }

    public long seed() {
        return seed;
    }

    public OracleLog console() {
        return console;
    }

    public int vcpus() {
        return vcpus;
    }

    /** Virtual pages per vCPU. */
    public long slice() {
        return slice;
    }

    /** The guest-wide virtual page of {@code vcpu}'s virtual page {@code vpn}. */
    private long vpn(int vcpu, long vpn) {
        if (vpn < 0 || vpn >= slice) {
            throw new GuestCrashException("vcpu" + vcpu + ": virtual page " + vpn + " outside its address space of "
                    + slice);
        }
        return vcpu * slice + vpn;
    }

    /**
     * Takes the kernel lock for the rest of the calling vCPU's operation (see the class comment). Gives up, as an
     * interrupt, if the holder died inside its operation ({@link #abandonOperation}).
     */
    private void enter() throws InterruptedException {
        if (lock.isHeldByCurrentThread()) {
            return;
        }
        while (!lock.tryLock(10, TimeUnit.MILLISECONDS)) {
            if (abandoned) {
                throw new InterruptedException("the vCPU holding the kernel lock died inside its operation");
            }
        }
    }

    /**
     * The calling vCPU's operation ended abnormally (its domain dies or crashes under it). If it holds the kernel
     * lock it keeps it for good: the kernel pages it changed are neither committed nor undone in this process (a
     * persistent host's journal undoes them at re-attach), so no other vCPU may build on them — and on a persistent
     * host another vCPU's undo log would otherwise take in this one's uncommitted changes.
     */
    public void abandonOperation() {
        if (lock.isHeldByCurrentThread()) {
            abandoned = true;
        }
    }

    /**
     * The calling vCPU's operation has ended and is committed: the kernel lock, if it took it, goes. A vCPU calls
     * this after every operation and before it idles or parks; so does any other caller of the kernel.
     */
    public void endOperation() {
        while (lock.isHeldByCurrentThread()) {
            lock.unlock();
        }
    }

    // ---- boot ------------------------------------------------------------------------------------------------

    /**
     * Initialises memory as a freshly booted guest: superblock, frame table, empty page table, and every data
     * page written with its version-0 pattern (a long-running guest's free memory is not zero).
     */
    public void boot() throws InterruptedException {
        enter();
        try {
            long pages = layout.pages();
            platform.access(0, 0, true, (b, o) -> {
                for (int i = 0; i < Gfn.PAGE_SIZE; i += 8) {
                    b.putLong(o + i, 0);
                }
                b.putLong(o + SB_MAGIC, MAGIC);
                b.putLong(o + SB_SEED, seed);
                b.putLong(o + SB_PAGES, pages);
                b.putLong(o + SB_FREE, layout.dataPages());
                b.putLong(o + SB_ALLOC_HINT, layout.dataStart());
                b.putLong(o + SB_BALLOON_HINT, pages - 1);
                b.putLong(o + SB_VCPUS, vcpus);
                return null;
            });
            for (long ftPage = 0; ftPage < layout.frameTablePages(); ftPage++) {
                long first = ftPage * ENTRIES_PER_PAGE;
                platform.access(0, layout.frameTableStart() + ftPage, true, (b, o) -> {
                    for (int i = 0; i < ENTRIES_PER_PAGE; i++) {
                        long gfn = first + i;
                        int state = gfn < layout.dataStart() ? RESERVED : FREE;
                        b.putLong(o + i * 8, gfn < pages ? GuestLayout.entry(state, 0) : 0);
                    }
                    return null;
                });
            }
            for (long ptPage = 0; ptPage < layout.pageTablePages(); ptPage++) {
                platform.access(0, layout.pageTableStart() + ptPage, true, (b, o) -> {
                    for (int i = 0; i < Gfn.PAGE_SIZE; i += 8) {
                        b.putLong(o + i, 0);
                    }
                    return null;
                });
            }
            for (long gfn = layout.dataStart(); gfn < pages; gfn++) {
                long g = gfn;
                platform.access(0, g, true, (b, o) -> {
                    PagePattern.fill(b, o, seed, g, 0);
                    return null;
                });
            }
        } finally {
            endOperation();
        }
    }

    // ---- memory management -------------------------------------------------------------------------------

    /**
     * Backs virtual page {@code vpn} with a free gfn and writes it (new version). Returns false when no free page
     * is left: memory pressure, recorded in the superblock for the balloon driver to publish.
     */
    public boolean allocate(int vcpu, long vpn) throws InterruptedException {
        vpn = vpn(vcpu, vpn);
        enter();
        if (state.pte(vcpu, vpn) != 0) {
            throw new GuestCrashException("virtual page " + vpn + " is already mapped");
        }
        long gfn = state.findFrame(vcpu, FREE, SB_ALLOC_HINT, +1);
        if (gfn < 0) {
            state.sbAdd(vcpu, SB_PRESSURE, 1);
            return false;
        }
        long version = GuestLayout.version(state.frame(vcpu, gfn)) + 1;
        state.setFrame(vcpu, gfn, USED, version);
        state.setPte(vcpu, vpn, gfn + 1);
        writePattern(vcpu, gfn, version);
        state.sbAdd(vcpu, SB_FREE, -1);
        state.sbAdd(vcpu, SB_USED, 1);
        state.countWrite(vcpu);
        state.sbSet(vcpu, SB_ALLOC_HINT, gfn + 1);
        return true;
    }

    /** Unmaps {@code vpn} and returns its page to the free pool (its contents stay until reused). */
    public void release(int vcpu, long vpn) throws InterruptedException {
        vpn = vpn(vcpu, vpn);
        enter();
        long gfn = state.mapped(vcpu, vpn);
        long version = GuestLayout.version(state.frame(vcpu, gfn));
        state.setFrame(vcpu, gfn, FREE, version);
        state.setPte(vcpu, vpn, 0);
        state.sbAdd(vcpu, SB_FREE, 1);
        state.sbAdd(vcpu, SB_USED, -1);
    }

    /**
     * Writes a new version of the page behind {@code vpn}: the page first, without the kernel lock, then (locked)
     * its frame entry and the write counters, so the frame table never names a version the page does not hold yet.
     */
    public void write(int vcpu, long vpn) throws InterruptedException {
        vpn = vpn(vcpu, vpn);
        long gfn = state.mapped(vcpu, vpn);
        long version = GuestLayout.version(state.frame(vcpu, gfn)) + 1;
        writePattern(vcpu, gfn, version);
        enter();
        state.setFrame(vcpu, gfn, USED, version);
        state.countWrite(vcpu);
    }

    /** Reads the page behind {@code vpn} and checks it is the version last written; a mismatch goes to the console. */
    public boolean read(int vcpu, long vpn) throws InterruptedException {
        vpn = vpn(vcpu, vpn);
        long gfn = state.mapped(vcpu, vpn);
        long version = GuestLayout.version(state.frame(vcpu, gfn));
        boolean ok = platform.access(vcpu, gfn, false, (b, o) -> {
            if (PagePattern.matches(b, o, seed, gfn, version)) {
                return true;
            }
            console.mismatch(String.format("vcpu%d read gfn 0x%x: expected version %d, page claims gfn 0x%x version %d",
                    vcpu, gfn, version, PagePattern.claimedGfn(b, o), PagePattern.claimedVersion(b, o)));
            return false;
        });
        console.checked();
        return ok;
    }

    private void writePattern(int vcpu, long gfn, long version) throws InterruptedException {
        platform.access(vcpu, gfn, true, (b, o) -> {
            PagePattern.fill(b, o, seed, gfn, version);
            return null;
        });
    }

    // ---- ballooning (used by the balloon driver) -----------------------------------------------------------

    /** Gives up to {@code count} free pages back to Xen, from the top of memory down. Returns how many went. */
    int balloonOut(int vcpu, int count) throws InterruptedException {
        enter();
        int done = 0;
        while (done < count) {
            long gfn = state.findFrame(vcpu, FREE, SB_BALLOON_HINT, -1);
            if (gfn < 0) {
                break;
            }
            state.setFrame(vcpu, gfn, BALLOONED, GuestLayout.version(state.frame(vcpu, gfn)));
            platform.decreaseReservation(gfn);
            state.sbAdd(vcpu, SB_FREE, -1);
            state.sbAdd(vcpu, SB_BALLOONED, 1);
            state.sbSet(vcpu, SB_BALLOON_HINT, gfn - 1);
            done++;
            platform.consistentPoint(vcpu);
        }
        return done;
    }

    /** Takes up to {@code count} ballooned pages back from Xen; each is written fresh and becomes free. */
    int balloonIn(int vcpu, int count) throws InterruptedException {
        enter();
        int done = 0;
        while (done < count) {
            long gfn = state.findFrame(vcpu, BALLOONED, SB_BALLOON_HINT, +1);
            if (gfn < 0) {
                break;
            }
            if (!platform.populatePhysmap(gfn)) {
                break;
            }
            long version = GuestLayout.version(state.frame(vcpu, gfn)) + 1;
            writePattern(vcpu, gfn, version);
            state.setFrame(vcpu, gfn, FREE, version);
            state.sbAdd(vcpu, SB_FREE, 1);
            state.sbAdd(vcpu, SB_BALLOONED, -1);
            state.sbAdd(vcpu, SB_KERNEL_WRITES, 1);
            // the next search starts past this page, not again from where ballooning out left off
            state.sbSet(vcpu, SB_BALLOON_HINT, gfn + 1);
            done++;
            platform.consistentPoint(vcpu);
        }
        return done;
    }

    /** The guest's own memory figures, from its superblock. */
    public MemoryFigures figures(int vcpu) throws InterruptedException {
        enter();
        return platform.access(vcpu, 0, false, (b, o) -> new MemoryFigures(
                b.getLong(o + SB_PAGES), b.getLong(o + SB_FREE), b.getLong(o + SB_USED),
                b.getLong(o + SB_BALLOONED), layout.dataStart(), b.getLong(o + SB_PRESSURE)));
    }

    /**
     * Memory figures in pages.
     *
     * @param pressureEvents allocations that found no free page, since boot
     */
    public record MemoryFigures(long pages, long free, long used, long ballooned, long kernel, long pressureEvents) {
        public long populated() {
            return pages - ballooned;
        }
    }
}