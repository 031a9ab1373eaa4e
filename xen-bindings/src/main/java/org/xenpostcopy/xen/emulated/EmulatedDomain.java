package org.xenpostcopy.xen.emulated;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStore;
import org.xenpostcopy.xen.XenStoreWatch;
import org.xenpostcopy.xen.emulated.guest.BalloonDriver;
import org.xenpostcopy.xen.emulated.guest.GuestCrashException;
import org.xenpostcopy.xen.emulated.guest.GuestKernel;
import org.xenpostcopy.xen.emulated.guest.GuestLayout;
import org.xenpostcopy.xen.emulated.guest.GuestPlatform;
import org.xenpostcopy.xen.emulated.guest.OracleLog;
import org.xenpostcopy.xen.emulated.guest.VcpuRegisters;
import org.xenpostcopy.xen.emulated.guest.Workload;
import org.xenpostcopy.xen.emulated.guest.WorkloadSpec;

/**
 * One emulated domain: its memory ({@link GuestPhysicalMemory}) and p2m ({@link P2mTable}), its paging front end,
 * its log-dirty bitmap, dom0's foreign mappings of it, and its vCPU running the guest program ({@link EmulatedVcpu}).
 * It is the guest's {@link GuestPlatform} (the hardware the guest sees) and the hypervisor's record of the domain
 * (what dom0's calls act on, through the parts it hands out).
 */
final class EmulatedDomain implements GuestPlatform {
    private static final Logger LOG = System.getLogger(EmulatedDomain.class.getName());
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final long DETACH_WAIT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);

    final DomainId id;
    final DomainConfig config;
    final EmulatedVcpus vcpus;
    final GuestPhysicalMemory memory;
    final P2mTable p2m;
    final PagingFrontEnd paging;
    final LogDirty dirty;
    final ForeignMemory foreign;
    private final XenStore store;
    private final OracleLog console = new OracleLog();
    private final XenStoreWatch targetWatch;
    /** On a persistent host: the domain's files, and a watch that saves its xenstore subtree; else null. */
    private final DomainPersistence persistence;
    private final XenStoreWatch persistWatch;

    /** Pages the guest has touched since creation here: its first touches, for pre-paging measurements. */
    private final long[] touchedWords;
    private final AtomicLong pagesTouched = new AtomicLong();
    private volatile long maxPages;

    // what the host shows of the guest's activity
    private final AtomicLong vcpuFaults = new AtomicLong();
    private final AtomicLong vcpuBlockedNanos = new AtomicLong();
    private final FaultWaitLog faultWaits = new FaultWaitLog();

    EmulatedDomain(DomainId id, DomainConfig config, XenStore store, boolean boot) {
        this(id, config, store, boot, null, null);
    }

    /**
     * A new domain, or ({@code restored} not null) one re-attached from the files of {@code persistence}: same
     * memory (the file's bytes), p2m, registers, run state and xenstore subtree. {@code persistence} null: an
     * ephemeral domain, in anonymous memory.
     */
    EmulatedDomain(DomainId id, DomainConfig config, XenStore store, boolean boot, DomainPersistence persistence,
                   DomainRecord restored) {
        if (config.vcpus() > GuestLayout.MAX_VCPUS) {
            throw new XenException("xc_domain_create", Errno.EINVAL, "emulated guests have 1.."
                    + GuestLayout.MAX_VCPUS + " vCPUs; config asks for " + config.vcpus());
        }
        this.id = id;
        this.config = config;
        this.store = store;
        this.persistence = persistence;
        List<Workload> workloads = new ArrayList<>();
        for (int v = 0; v < config.vcpus(); v++) {
            workloads.add(WorkloadSpec.parse(config.guest(), config.memoryPages(), config.vcpus(), v));
        }
        long pages = config.memoryPages();
        this.memory = persistence == null ? new GuestPhysicalMemory(pages) : persistence.memory(pages, restored);
        this.p2m = persistence == null ? new P2mTable(id, pages, P2mTable.RAM_RW) : persistence.p2m(id, pages, restored);
        if (restored == null) {
            // Xen populates a domain's physmap when it creates it. Backed at once here, a 1 GiB receiver's prepare
            // took 0.7-2.3 s on a new process; backed only as pages arrived, its post-copy paid a page fault per
            // 2 MiB and the whole took longer (RESULTS.md, issue 16). So a thread of its own backs it while they come,
            // skipping what the domain no longer holds by then (a receiver's holes are given back within milliseconds).
            memory.populateInBackground(id.toString(), p2m::anyPopulated);
        }
        this.touchedWords = new long[(int) ((pages + 63) >>> 6)];
        this.maxPages = restored == null ? pages : restored.maxPages();
        this.paging = new PagingFrontEnd(config.name(), config.vcpus());
        this.dirty = new LogDirty(id, pages);
        this.foreign = new ForeignMemory(id, p2m, memory, dirty, paging);
        GuestKernel kernel = new GuestKernel(this, config.vcpus(), config.seed(), console);
        String home = xenstoreHome();
        if (restored == null) {
            store.write(home + "/name", config.name());
            store.write(home + "/domid", Integer.toString(id.value()));
            store.write(home + "/memory/static-max", Long.toString(config.memoryKiB()));
            store.write(home + "/memory/target", Long.toString(config.memoryKiB()));
            store.mkdir(home + "/data");
        } else {
            DomainPersistence.writeSubtree(store, home, restored.xenstore());
        }
        BalloonDriver balloon = new BalloonDriver(kernel, store, home);
        List<VcpuRegisters> regs = new ArrayList<>(Collections.nCopies(config.vcpus(), null));
        if (restored != null) {
            persistence.rollBack(id, p2m, memory);
            regs = persistence.storedRegisters(config.guest());
        } else if (boot) {
            try {
                kernel.boot();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new XenException("xc_domain_create", Errno.EINTR, "interrupted while booting " + config.name());
            }
            for (int v = 0; v < config.vcpus(); v++) {
                regs.set(v, new VcpuRegisters(v, config.guest(), config.seed()));
            }
        }
        // A domain re-attached with gfns paged out lost its pager with the process that died: it would crash on
        // the first one it touched. Held paused instead, for the toolstack to decide — it was the receiving end of
        // a migration that did not finish, whose source may by now run the guest again from its own copy, so it
        // must not run on its own.
        boolean heldForPager = restored != null && !restored.paused() && p2m.pagedPages() > 0;
        if (heldForPager) {
            LOG.log(Level.WARNING, "{0} re-attached paused: {1} gfns are paged out and their pager died with the"
                    + " process that held them", id, p2m.pagedPages());
        }
        this.vcpus = new EmulatedVcpus(id, config, kernel, balloon, workloads, regs,
                restored == null || restored.paused() || heldForPager, restored == null ? null : restored.crash(),
                persistence == null ? VcpuRecord.NONE : persistence);
        this.targetWatch = store.watch(home + "/" + BalloonDriver.TARGET, "balloon-" + id.value(), (p, t) -> {
            balloon.onTargetEvent();
            vcpus.kick();
        });
        if (persistence != null) {
            persistence.attach(this);
            this.persistWatch = store.watch(home, "persist-" + id.value(), (p, t) -> persistence.save());
        } else {
            this.persistWatch = null;
        }
        vcpus.start();
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
                if (p2m.freed()) {
                    throw new DomainDyingException();
                }
                type = p2m.get(gfn);
                if (type == P2mTable.RAM_RW || type == P2mTable.PAGING_OUT) {
                    int writer = write ? journaledVcpu() : -1;
                    if (writer >= 0) {
                        persistence.beforeGuestWrite(writer, gfn, type, memory);
                    }
                    if (type == P2mTable.PAGING_OUT) {
                        p2m.set(gfn, P2mTable.RAM_RW);    // the access cancels the nomination; evict will fail
                    }
                    if (write) {
                        dirty.mark(gfn);
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
            if (!paging.pagerAttached()) {
                throw new GuestCrashException(String.format("vcpu%d touched paged-out gfn 0x%x and no pager is attached",
                        vcpu, gfn));
            }
            long t0 = System.nanoTime();
            paging.faultAndWait(vcpu, gfn, P2mTable.toPublic(type).code(), vcpus::checkAlive);
            vcpuFaults.incrementAndGet();
            long waited = System.nanoTime() - t0;
            vcpuBlockedNanos.addAndGet(waited);
            faultWaits.record(waited);
            vcpus.blockedOnPage(waited);
        }
    }

    @Override
    public void decreaseReservation(long gfn) {
        byte t;
        synchronized (p2m.lock(gfn)) {
            p2m.checkNotFreed("decrease_reservation");
            t = p2m.get(gfn);
            if (t == P2mTable.INVALID) {
                return;
            }
            int writer = journaledVcpu();
            if (writer >= 0) {
                persistence.beforeGuestWrite(writer, gfn, t, memory);
            }
            if (t != P2mTable.PAGED && t != P2mTable.PAGING_IN) {
                memory.scrub(gfn);
            }
            p2m.set(gfn, P2mTable.INVALID);
        }
        if (t == P2mTable.PAGED || t == P2mTable.PAGING_IN || t == P2mTable.PAGING_OUT) {
            // Outside the gfn's lock: the ring's lock is never taken under a p2m lock.
            paging.dropRequest(gfn, P2mTable.toPublic(t).code());
        }
    }

    @Override
    public boolean populatePhysmap(long gfn) {
        synchronized (p2m.lock(gfn)) {
            p2m.checkNotFreed("populate_physmap");
            if (p2m.get(gfn) != P2mTable.INVALID) {
                return true;
            }
            if (p2m.populatedPages() >= maxPages) {
                return false;
            }
            int writer = journaledVcpu();
            if (writer >= 0) {
                persistence.beforeGuestWrite(writer, gfn, P2mTable.INVALID, memory);
            }
            memory.fill(gfn, 0);
            p2m.set(gfn, P2mTable.RAM_RW);
            return true;
        }
    }

    @Override
    public void consistentPoint(int vcpu) {
        int writer = journaledVcpu();
        if (writer >= 0) {
            persistence.commit(writer, null);
        }
    }

    /**
     * On a persistent host, the vCPU making this change (it goes in that vCPU's undo log first); -1 if the change is
     * not the guest's own (dom0's, the boot's) or the host keeps nothing.
     */
    private int journaledVcpu() {
        return persistence == null || vcpus == null ? -1 : vcpus.currentVcpu();
    }

    @Override
    public XenStore xenstore() {
        return store;
    }

    @Override
    public String xenstoreHome() {
        return XenStore.domainPath(id);
    }

    // ---- what dom0 sees of the domain ------------------------------------------------------------------------

    DomainInfo info() {
        return new DomainInfo(id, config.name(), p2m.populatedPages(), maxPages, p2m.pagedPages(), config.vcpus(),
                vcpus.runState());
    }

    void setMaxPages(long pages) {
        if (pages < 1) {
            throw new XenException("xc_domain_setmaxmem", Errno.EINVAL, "max memory must be positive");
        }
        maxPages = Math.min(pages, p2m.size());
        if (persistence != null) {
            persistence.save();
        }
    }

    /** What a persistent host writes of the domain besides memory, p2m and registers. */
    DomainRecord record() {
        return new DomainRecord(id, config, maxPages, vcpus.pausedByDom0(), vcpus.crashReason(),
                DomainPersistence.readSubtree(store, xenstoreHome()));
    }

    OracleLog console() {
        return console;
    }

    long pagesTouched() {
        return pagesTouched.get();
    }

    /** The pages the guest has touched here, word by word (each word read atomically, as the guest sets them). */
    GfnBitmap touchedPages() {
        long[] copy = new long[touchedWords.length];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = (long) WORDS.getVolatile(touchedWords, i);
        }
        return GfnBitmap.fromWords(p2m.size(), copy);
    }

    long vcpuFaults() {
        return vcpuFaults.get();
    }

    long vcpuBlockedNanos() {
        return vcpuBlockedNanos.get();
    }

    long[] faultWaitNanos() {
        return faultWaits.snapshot();
    }

    GuestProbe.RunBounds runBounds() {
        return vcpus.runBounds();
    }

    long droppedPagingResponses() {
        return paging.droppedResponses();
    }

    void destroy() {
        stop();
        store.rm(xenstoreHome());
        release();
        if (persistence != null) {
            persistence.delete();
        }
    }

    /**
     * The host object closes, the domain lives on in its files: the vCPU stops between two operations (waiting up
     * to 5 s for one blocked on a paged-out gfn), the record is saved, the mappings go.
     */
    void detach() {
        vcpus.detach(DETACH_WAIT_NANOS);
        persistence.save();
        stop();
        release();
        persistence.close();
    }

    private void stop() {
        vcpus.markDying();
        paging.wakeAll();
        vcpus.awaitExit();
        targetWatch.close();
        if (persistWatch != null) {
            persistWatch.close();
        }
        paging.disable();
    }

    private void release() {
        // Free the memory only when no access can be inside it (see P2mTable.retire).
        p2m.retire();
        memory.close();
    }
}
