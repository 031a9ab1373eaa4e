package org.xenpostcopy.xen.emulated;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.P2mType;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStore;
import org.xenpostcopy.xen.XenStoreWatch;
import org.xenpostcopy.xen.emulated.guest.BalloonDriver;
import org.xenpostcopy.xen.emulated.guest.GuestCrashException;
import org.xenpostcopy.xen.emulated.guest.GuestKernel;
import org.xenpostcopy.xen.emulated.guest.GuestPlatform;
import org.xenpostcopy.xen.emulated.guest.OracleLog;
import org.xenpostcopy.xen.emulated.guest.VcpuRegisters;
import org.xenpostcopy.xen.emulated.guest.Workload;
import org.xenpostcopy.xen.emulated.guest.WorkloadSpec;

/**
 * One emulated domain: its memory and p2m, its paging front end, its log-dirty bitmap, and its vCPU running the
 * guest program ({@link EmulatedVcpu}). It is the guest's {@link GuestPlatform} (the hardware the guest sees) and the
 * hypervisor's record of the domain (what dom0's calls act on).
 */
final class EmulatedDomain implements GuestPlatform {
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    final DomainId id;
    final DomainConfig config;
    final EmulatedVcpu vcpu;
    private final XenStore store;
    private final GuestPhysicalMemory memory;
    final P2mTable p2m;
    final PagingFrontEnd paging;
    private final GuestKernel kernel;
    private final OracleLog console = new OracleLog();
    private final XenStoreWatch targetWatch;

    private final AtomicLong populatedPages;
    /** One bit per populated gfn, changed under the gfn's stripe lock, so the p2m view is a cheap copy. */
    private final long[] populatedWords;
    /** Pages the guest has touched since creation here: its first touches, for pre-paging measurements. */
    private final long[] touchedWords;
    private final AtomicLong pagesTouched = new AtomicLong();
    private final AtomicLong pagedPages = new AtomicLong();
    private volatile long maxPages;
    private volatile long[] dirty;            // log-dirty bitmap, null when off
    private volatile boolean pagerAttached;
    /** Set before memory is freed; every access checks it under its gfn's lock (see {@link #destroy}). */
    private volatile boolean freed;

    // what the host shows of the guest's activity
    private final AtomicLong vcpuFaults = new AtomicLong();
    private final AtomicLong vcpuBlockedNanos = new AtomicLong();

    EmulatedDomain(DomainId id, DomainConfig config, XenStore store, boolean boot) {
        if (config.vcpus() != 1) {
            throw new XenException("xc_domain_create", Errno.EINVAL,
                    "emulated guests have exactly one vCPU; config asks for " + config.vcpus());
        }
        this.id = id;
        this.config = config;
        this.store = store;
        Workload workload = WorkloadSpec.parse(config.guest(), config.memoryPages());
        this.memory = new GuestPhysicalMemory(config.memoryPages());
        memory.populateAll();
        this.p2m = new P2mTable(config.memoryPages(), P2mTable.RAM_RW);
        this.populatedPages = new AtomicLong(config.memoryPages());
        this.populatedWords = GfnBitmap.full(config.memoryPages()).toWords();
        this.touchedWords = new long[populatedWords.length];
        this.maxPages = config.memoryPages();
        this.paging = new PagingFrontEnd(config.name(), config.vcpus());
        this.kernel = new GuestKernel(this, config.seed(), console);
        String home = xenstoreHome();
        store.write(home + "/name", config.name());
        store.write(home + "/domid", Integer.toString(id.value()));
        store.write(home + "/memory/static-max", Long.toString(config.memoryKiB()));
        store.write(home + "/memory/target", Long.toString(config.memoryKiB()));
        store.mkdir(home + "/data");
        BalloonDriver balloon = new BalloonDriver(kernel, store, home);
        VcpuRegisters regs = null;
        if (boot) {
            try {
                kernel.boot();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new XenException("xc_domain_create", Errno.EINTR, "interrupted while booting " + config.name());
            }
            regs = new VcpuRegisters(0, config.guest(), config.seed());
        }
        this.vcpu = new EmulatedVcpu(id, config, kernel, balloon, workload, regs);
        this.targetWatch = store.watch(home + "/" + BalloonDriver.TARGET, "balloon-" + id.value(), (p, t) -> {
            balloon.onTargetEvent();
            vcpu.kick();
        });
        vcpu.start();
    }

    // ---- GuestPlatform: what the guest sees ----------------------------------------------------------------

    @Override
    public long pages() {
        return p2m.size();
    }

    @Override
    public <R> R access(int vcpu, long gfn, boolean write, PageAction<R> action) throws InterruptedException {
        if (gfn < 0 || gfn >= p2m.size()) {
            throw new GuestCrashException("vcpu" + vcpu + " touched gfn " + gfn + " outside its physmap");
        }
        while (true) {
            byte type;
            synchronized (p2m.lock(gfn)) {
                if (freed) {
                    throw new DomainDyingException();
                }
                type = p2m.get(gfn);
                if (type == P2mTable.RAM_RW || type == P2mTable.PAGING_OUT) {
                    if (type == P2mTable.PAGING_OUT) {
                        p2m.set(gfn, P2mTable.RAM_RW);    // the access cancels the nomination; evict will fail
                    }
                    if (write) {
                        markDirty(gfn);
                        memory.markTouched(gfn);
                    }
                    int word = (int) (gfn >>> 6);
                    long bit = 1L << gfn;
                    if ((touchedWords[word] & bit) == 0
                            && ((long) WORDS.getAndBitwiseOr(touchedWords, word, bit) & bit) == 0) {
                        pagesTouched.incrementAndGet();
                    }
                    return action.apply(memory.chunk(gfn), memory.offset(gfn));
                }
                if (type == P2mTable.INVALID) {
                    throw new GuestCrashException(String.format("vcpu%d touched unpopulated gfn 0x%x", vcpu, gfn));
                }
                if (type == P2mTable.PAGED) {
                    p2m.set(gfn, P2mTable.PAGING_IN);
                }
            }
            if (!pagerAttached) {
                throw new GuestCrashException(String.format("vcpu%d touched paged-out gfn 0x%x and no pager is attached",
                        vcpu, gfn));
            }
            long t0 = System.nanoTime();
            paging.faultAndWait(vcpu, gfn, P2mTable.toPublic(type).code(), this.vcpu::checkAlive);
            vcpuFaults.incrementAndGet();
            vcpuBlockedNanos.addAndGet(System.nanoTime() - t0);
        }
    }

    @Override
    public void decreaseReservation(long gfn) {
        synchronized (p2m.lock(gfn)) {
            checkNotFreed("decrease_reservation");
            byte t = p2m.get(gfn);
            if (t == P2mTable.INVALID) {
                return;
            }
            if (t == P2mTable.PAGED || t == P2mTable.PAGING_IN) {
                pagedPages.decrementAndGet();
            } else {
                memory.scrub(gfn);
            }
            p2m.set(gfn, P2mTable.INVALID);
            WORDS.getAndBitwiseAnd(populatedWords, (int) (gfn >>> 6), ~(1L << gfn));
            populatedPages.decrementAndGet();
        }
    }

    @Override
    public boolean populatePhysmap(long gfn) {
        synchronized (p2m.lock(gfn)) {
            checkNotFreed("populate_physmap");
            if (p2m.get(gfn) != P2mTable.INVALID) {
                return true;
            }
            if (populatedPages.get() >= maxPages) {
                return false;
            }
            memory.fill(gfn, 0);
            p2m.set(gfn, P2mTable.RAM_RW);
            WORDS.getAndBitwiseOr(populatedWords, (int) (gfn >>> 6), 1L << gfn);
            populatedPages.incrementAndGet();
            return true;
        }
    }

    @Override
    public XenStore xenstore() {
        return store;
    }

    @Override
    public String xenstoreHome() {
        return XenStore.domainPath(id);
    }

    private void markDirty(long gfn) {
        long[] d = dirty;
        if (d != null) {
            WORDS.getAndBitwiseOr(d, (int) (gfn >>> 6), 1L << gfn);
        }
    }

    // ---- what dom0 does to the domain ------------------------------------------------------------------------

    DomainInfo info() {
        return new DomainInfo(id, config.name(), populatedPages.get(), maxPages, pagedPages.get(), config.vcpus(),
                vcpu.runState());
    }

    void setMaxPages(long pages) {
        if (pages < 1) {
            throw new XenException("xc_domain_setmaxmem", Errno.EINVAL, "max memory must be positive");
        }
        maxPages = Math.min(pages, p2m.size());
    }

    GfnBitmap populated() {
        long[] words = new long[populatedWords.length];
        for (int i = 0; i < words.length; i++) {
            words[i] = (long) WORDS.getVolatile(populatedWords, i);
        }
        return GfnBitmap.fromWords(p2m.size(), words);
    }

    // ---- foreign memory --------------------------------------------------------------------------------------

    void foreignRead(long gfn, ByteBuffer dst) {
        p2m.checkRange("xenforeignmemory_map", gfn);
        if (dst.remaining() < org.xenpostcopy.xen.Gfn.PAGE_SIZE) {
            throw new IllegalArgumentException("buffer has " + dst.remaining() + " bytes left, a page needs 4096");
        }
        byte t;
        synchronized (p2m.lock(gfn)) {
            checkNotFreed("xenforeignmemory_map");
            t = p2m.get(gfn);
            if (t == P2mTable.RAM_RW || t == P2mTable.PAGING_OUT) {
                // Map, copy, unmap: the mapping is gone before any evict, so a nomination survives it, as on
                // a PV dom0 (mm.c pages in only p2m_ram_paged gfns; evict checks the reference count then).
                // This is how a pager copies a nominated page.
                memory.copyOut(gfn, dst);
                return;
            }
        }
        throw notPresent(gfn, t);
    }

    void foreignWrite(long gfn, ByteBuffer src) {
        p2m.checkRange("xenforeignmemory_map", gfn);
        if (src.remaining() < org.xenpostcopy.xen.Gfn.PAGE_SIZE) {
            throw new IllegalArgumentException("buffer has " + src.remaining() + " bytes left, a page needs 4096");
        }
        byte t;
        synchronized (p2m.lock(gfn)) {
            checkNotFreed("xenforeignmemory_map");
            t = p2m.get(gfn);
            if (t == P2mTable.RAM_RW || t == P2mTable.PAGING_OUT) {
                // Stricter than Xen, which would let the write land and the evict drop it: a write cancels.
                p2m.set(gfn, P2mTable.RAM_RW);
                memory.copyIn(gfn, src);
                markDirty(gfn);
                return;
            }
        }
        throw notPresent(gfn, t);
    }

    private XenException notPresent(long gfn, byte t) {
        if (t == P2mTable.INVALID) {
            return new XenException("xenforeignmemory_map", Errno.ENOENT,
                    String.format("%s gfn 0x%x is not populated", id, gfn));
        }
        if (pagerAttached) {
            paging.foreignRequest(gfn, P2mTable.toPublic(t).code());
        }
        return new XenException("xenforeignmemory_map", Errno.ENOENT,
                String.format("%s gfn 0x%x is paged out (page-in requested; retry)", id, gfn));
    }

    P2mType typeOf(long gfn) {
        p2m.checkRange("xc_get_mem_access", gfn);
        synchronized (p2m.lock(gfn)) {
            return P2mTable.toPublic(p2m.get(gfn));
        }
    }

    // ---- paging (the hypervisor's half of xc_mem_paging_*) ---------------------------------------------------

    void attachPager() {
        vcpu.checkAlive("xc_mem_paging_enable");
        if (pagerAttached) {
            throw new XenException("xc_mem_paging_enable", Errno.EBUSY, id + " already has a pager");
        }
        pagerAttached = true;
    }

    void detachPager() {
        pagerAttached = false;
    }

    /** Call holding a gfn lock: refuses to touch memory of a destroyed domain. */
    private void checkNotFreed(String call) {
        if (freed) {
            throw new XenException(call, Errno.ESRCH, id + " was destroyed");
        }
    }

    void nominate(long gfn) {
        p2m.checkRange("xc_mem_paging_nominate", gfn);
        synchronized (p2m.lock(gfn)) {
            checkNotFreed("xc_mem_paging_nominate");
            byte t = p2m.get(gfn);
            if (t != P2mTable.RAM_RW) {
                throw new XenException("xc_mem_paging_nominate", Errno.EBUSY,
                        String.format("%s gfn 0x%x is %s", id, gfn, P2mTable.toPublic(t)));
            }
            p2m.set(gfn, P2mTable.PAGING_OUT);
        }
    }

    void evict(long gfn) {
        p2m.checkRange("xc_mem_paging_evict", gfn);
        synchronized (p2m.lock(gfn)) {
            checkNotFreed("xc_mem_paging_evict");
            byte t = p2m.get(gfn);
            if (t != P2mTable.PAGING_OUT) {
                throw new XenException("xc_mem_paging_evict", Errno.EBUSY,
                        String.format("%s gfn 0x%x is %s (touched since nomination?)", id, gfn, P2mTable.toPublic(t)));
            }
            memory.scrub(gfn);
            p2m.set(gfn, P2mTable.PAGED);
            pagedPages.incrementAndGet();
        }
    }

    void load(long gfn, ByteBuffer src) {
        p2m.checkRange("xc_mem_paging_load", gfn);
        if (src.remaining() < org.xenpostcopy.xen.Gfn.PAGE_SIZE) {
            throw new XenException("xc_mem_paging_load", Errno.EINVAL,
                    "buffer has " + src.remaining() + " bytes left, a page needs 4096");
        }
        synchronized (p2m.lock(gfn)) {
            checkNotFreed("xc_mem_paging_load");
            byte t = p2m.get(gfn);
            if (t != P2mTable.PAGED && t != P2mTable.PAGING_IN) {
                throw new XenException("xc_mem_paging_load", Errno.EINVAL,
                        String.format("%s gfn 0x%x is %s, not paged out", id, gfn, P2mTable.toPublic(t)));
            }
            memory.copyIn(gfn, src);
            p2m.set(gfn, P2mTable.RAM_RW);
            pagedPages.decrementAndGet();
        }
    }

    // ---- log-dirty ---------------------------------------------------------------------------------------------

    void enableLogDirty() {
        dirty = new long[(int) ((p2m.size() + 63) >>> 6)];
    }

    void disableLogDirty() {
        dirty = null;
    }

    GfnBitmap dirtyBitmap(boolean clear) {
        long[] d = dirty;
        if (d == null) {
            throw new XenException("xc_shadow_control", Errno.EINVAL, id + " is not in log-dirty mode");
        }
        long[] words = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            words[i] = clear ? (long) WORDS.getAndSet(d, i, 0L) : (long) WORDS.getVolatile(d, i);
        }
        return GfnBitmap.fromWords(p2m.size(), words);
    }

    // ---- host-side observation and teardown ------------------------------------------------------------------

    OracleLog console() {
        return console;
    }

    long pagesTouched() {
        return pagesTouched.get();
    }

    long vcpuFaults() {
        return vcpuFaults.get();
    }

    long vcpuBlockedNanos() {
        return vcpuBlockedNanos.get();
    }

    long droppedPagingResponses() {
        return paging.droppedResponses();
    }

    void destroy() {
        vcpu.markDying();
        paging.wakeAll();
        vcpu.awaitExit();
        targetWatch.close();
        paging.disable();
        store.rm(xenstoreHome());
        // Free the memory only when no access can be inside it: set the flag, then pass through every gfn lock,
        // so an access that started before has finished and any later one sees the flag.
        freed = true;
        for (long stripe = 0; stripe < Math.min(p2m.size(), 4096); stripe++) {
            synchronized (p2m.lock(stripe)) {
                // barrier only
            }
        }
        memory.close();
    }
}