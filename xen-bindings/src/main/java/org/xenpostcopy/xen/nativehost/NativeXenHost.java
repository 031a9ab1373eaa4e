package org.xenpostcopy.xen.nativehost;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.xenpostcopy.xen.DirtyLog;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestMemory;
import org.xenpostcopy.xen.NoSuchDomainException;
import org.xenpostcopy.xen.P2mType;
import org.xenpostcopy.xen.PagingChannel;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.XenStore;
import org.xenpostcopy.xen.xswire.XsWireClient;

/**
 * A real Xen 4.17 host, from dom0, through libxenctrl, libxenevtchn and libxenforeignmemory, with xenstore over
 * xenstored's socket ({@link XsWireClient}). What only the toolstack can do — creating a domain with its devices,
 * special pages and xenstore introduction — is not here yet (the real-Xen lab issue); those calls say so.
 */
public final class NativeXenHost implements XenHost {
    static final Path PRIVCMD = Path.of("/dev/xen/privcmd");
    private static final int MAX_DOMAINS = 1024;

    private final LibXenCtrl xc;
    private final Handles.XcInterface xch;
    private final LibXenEvtchn ev;
    private final LibXenForeignMemory fm;
    private final Handles.ForeignMemory fmem;
    private final XenStore store;
    private final LibC libc;
    /** Null where libxenguest is missing: then a failed migration cannot undo the guest's suspend. */
    private final LibXenGuest guestLib;
    private final Toolstack toolstack;
    private final Domains domains = new Domains();
    private final Memory memory = new Memory();
    private final DirtyLog dirty = new Dirty();

    /**
     * Opens this dom0's hypervisor interfaces. On a machine without Xen: one sentence, no stack trace
     * ({@code no Xen hypervisor: /dev/xen/privcmd is missing}).
     */
    public static NativeXenHost open() {
        return open(new XlToolstack(Path.of("/etc/xen"), "xl"));
    }

    /** As {@link #open()}, with the toolstack that builds and tears down domains. */
    public static NativeXenHost open(Toolstack toolstack) {
        if (!Files.exists(PRIVCMD)) {
            throw new XenException("xc_interface_open", Errno.ENOENT, "no Xen hypervisor: " + PRIVCMD + " is missing");
        }
        LibXenCtrl xc;
        LibXenEvtchn ev;
        LibXenForeignMemory fm;
        try {
            xc = LibXenCtrl.load();
            ev = LibXenEvtchn.load();
            fm = LibXenForeignMemory.load();
        } catch (UnsatisfiedLinkError e) {
            throw new XenException("dlopen", Errno.ENOENT, "Xen's libraries are missing (apt-get install libxen-dev): "
                    + e.getMessage());
        }
        Handles.XcInterface xch = xc.xc_interface_open(null, null, 0);
        if (xch == null) {
            throw XenErrors.failure("xc_interface_open", "privcmd");
        }
        Handles.ForeignMemory fmem = fm.xenforeignmemory_open(null, 0);
        if (fmem == null) {
            xc.xc_interface_close(xch);
            throw XenErrors.failure("xenforeignmemory_open", "privcmd");
        }
        LibXenGuest guestLib;
        try {
            guestLib = LibXenGuest.load();
        } catch (UnsatisfiedLinkError e) {
            guestLib = null;
        }
        return new NativeXenHost(xc, xch, ev, fm, fmem, XsWireClient.connect(), LibC.INSTANCE, guestLib, toolstack);
    }

    NativeXenHost(LibXenCtrl xc, Handles.XcInterface xch, LibXenEvtchn ev, LibXenForeignMemory fm,
                  Handles.ForeignMemory fmem, XenStore store, LibC libc) {
        this(xc, xch, ev, fm, fmem, store, libc, null, new XlToolstack(Path.of("/etc/xen"), "xl"));
    }

    NativeXenHost(LibXenCtrl xc, Handles.XcInterface xch, LibXenEvtchn ev, LibXenForeignMemory fm,
                  Handles.ForeignMemory fmem, XenStore store, LibC libc, LibXenGuest guestLib, Toolstack toolstack) {
        this.guestLib = guestLib;
        this.toolstack = toolstack;
        this.xc = xc;
        this.xch = xch;
        this.ev = ev;
        this.fm = fm;
        this.fmem = fmem;
        this.store = store;
        this.libc = libc;
    }

    @Override
    public String describe() {
        return "Xen host (native)";
    }

    @Override
    public DomainControl domains() {
        return domains;
    }

    @Override
    public GuestMemory memory() {
        return memory;
    }

    @Override
    public PagingChannel paging() {
        return domain -> {
            Handles.Evtchn xce = ev.xenevtchn_open(null, 0);
            if (xce == null) {
                throw XenErrors.failure("xenevtchn_open", domain);
            }
            try {
                return new ClosingSession(new NativePagingSession(xc, xch, ev, xce, domain, libc), () -> ev.xenevtchn_close(xce));
            } catch (XenException e) {
                ev.xenevtchn_close(xce);
                throw e;
            }
        };
    }

    @Override
    public DirtyLog dirtyLog() {
        return dirty;
    }

    @Override
    public XenStore store() {
        return store;
    }

    @Override
    public void close() {
        if (store instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing anyway
            }
        }
        fm.xenforeignmemory_close(fmem);
        xc.xc_interface_close(xch);
    }

    /** xenstore, console, ioreq, bufioreq, paging, monitor and sharing ring gfns (HVM_PARAM_*). */
    private static final int[] TOOLSTACK_PAGE_PARAMS = {1, 5, 6, 17, 27, 28, 29};
    private static final int SHUTDOWN_SUSPEND = 2;
    private static final long SUSPEND_TIMEOUT_MS = 60_000;

    private static int shutdownCode(XcDomainInfo i) {
        return (i.flags >>> 16) & 0xff;
    }

    /**
     * Asks the guest to suspend, as xl does, and waits until Xen reports it shut down for suspend. The guest
     * freezes its tasks and devices first, so this takes as long as the guest needs.
     */
    private void suspend(DomainId domain) {
        String control = XenStore.domainPath(domain) + "/control/shutdown";
        store.write(control, "suspend");
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(SUSPEND_TIMEOUT_MS);
        while (true) {
            XcDomainInfo i = infoOf(domain, "suspend");
            if ((i.flags & XcDomainInfo.DOMINF_SHUTDOWN) != 0) {
                if (shutdownCode(i) == SHUTDOWN_SUSPEND) {
                    return;
                }
                throw new XenException("suspend", Errno.EIO, domain + " shut down with reason " + shutdownCode(i)
                        + " instead of suspending");
            }
            if (System.nanoTime() > deadline) {
                store.write(control, "");
                throw new XenException("suspend", Errno.ETIMEDOUT, domain + " did not suspend within "
                        + SUSPEND_TIMEOUT_MS / 1000 + " s of control/shutdown=suspend (does it run xenbus?)");
            }
            try {
                Thread.sleep(5);   // Xen reports a suspend only through this poll or an @releaseDomain watch
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new XenException("suspend", Errno.EINTR, domain + ": interrupted waiting for the suspend");
            }
        }
    }

    /** gfns 0..max_gpfn: a PVH guest's special pages sit far above its RAM, so max_pages would miss them. */
    private long gfnSpan(DomainId domain) {
        infoOf(domain, "xc_domain_maximum_gpfn");
        LongByReference max = new LongByReference();
        XenErrors.check(xc.xc_domain_maximum_gpfn(xch, domain.value(), max), "xc_domain_maximum_gpfn", domain);
        return max.getValue() + 1;
    }

    /** getpageframeinfo3 would page every paged-out gfn back in; refuse rather than undo the pager's work. */
    private void refuseIfPaged(DomainId domain, String call) {
        long paged = infoOf(domain, call).paged_pages;
        if (paged > 0) {
            throw new XenException(call, Errno.EBUSY, domain + " has " + paged + " paged-out pages; reading its p2m "
                    + "types would page them all back in (ask the pager which gfns it holds instead)");
        }
    }

    /** XEN_DOMCTL_PFINFO_* types of gfns [from, from + n), n ≤ 1024. */
    private long[] pfnTypes(DomainId domain, long from, int n) {
        long[] arr = new long[n];
        for (int i = 0; i < n; i++) {
            arr[i] = from + i;
        }
        XenErrors.check(xc.xc_get_pfn_type_batch(xch, domain.value(), n, arr), "xc_get_pfn_type_batch",
                domain + " gfns 0x" + Long.toHexString(from) + "+" + n);
        return arr;
    }

    private static boolean backedByRam(long pfinfo) {
        long t = pfinfo & (LibXenCtrl.PFINFO_LTAB_MASK & 0xffffffffL);
        return t != (LibXenCtrl.PFINFO_XTAB & 0xffffffffL) && t != (LibXenCtrl.PFINFO_BROKEN & 0xffffffffL)
                && t != (LibXenCtrl.PFINFO_XALLOC & 0xffffffffL);
    }

    private XcDomainInfo infoOf(DomainId id, String call) {
        XcDomainInfo info = new XcDomainInfo();
        int n = XenErrors.check(xc.xc_domain_getinfolist(xch, id.value(), 1, info), call, id);
        // getinfolist lists from the id on: a missing domain silently yields the next one.
        if (n < 1 || Short.toUnsignedInt(info.domain) != id.value()) {
            throw new NoSuchDomainException(call, id);
        }
        return info;
    }

    private DomainInfo toInfo(XcDomainInfo i) {
        DomainId id = DomainId.of(Short.toUnsignedInt(i.domain));
        DomainInfo.State state = (i.flags & XcDomainInfo.DOMINF_DYING) != 0 ? DomainInfo.State.DYING
                : (i.flags & XcDomainInfo.DOMINF_SHUTDOWN) != 0 ? DomainInfo.State.SHUTDOWN
                : (i.flags & XcDomainInfo.DOMINF_PAUSED) != 0 ? DomainInfo.State.PAUSED : DomainInfo.State.RUNNING;
        String name = store.read(XenStore.domainPath(id) + "/name").orElse(id.value() == 0 ? "Domain-0" : "dom" + id.value());
        return new DomainInfo(id, name, i.tot_pages, i.max_pages, i.paged_pages, i.nr_online_vcpus, state);
    }

    private final class Domains implements DomainControl {
        @Override
        public List<DomainInfo> list() {
            XcDomainInfo[] all = (XcDomainInfo[]) new XcDomainInfo().toArray(MAX_DOMAINS);
            int n = XenErrors.check(xc.xc_domain_getinfolist(xch, 0, MAX_DOMAINS, all[0]), "xc_domain_getinfolist", "all");
            List<DomainInfo> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                all[i].read();
                out.add(toInfo(all[i]));
            }
            return out;
        }

        @Override
        public DomainInfo info(DomainId domain) {
            return toInfo(infoOf(domain, "xc_domain_getinfolist"));
        }

        @Override
        public Optional<DomainId> lookup(String name) {
            return list().stream().filter(d -> d.name().equals(name)).map(DomainInfo::id).findFirst();
        }

        /**
         * Built by the toolstack from the xl configuration that travels in {@code config.guest()}: devices,
         * special pages, xenstore introduction and all. Paused unless {@code boot}.
         */
        @Override
        public DomainId create(DomainConfig config, boolean boot) {
            if (!config.guest().contains("=")) {
                throw new XenException("xl create", Errno.EINVAL, "a native host builds '" + config.name()
                        + "' from its xl configuration, and none came (the source host reads <config dir>/"
                        + config.name() + ".cfg; see xlpc daemon --xl-config-dir)");
            }
            DomainId id = toolstack.createPaused(config.name(), config.guest());
            if (boot) {
                unpause(id);
            }
            return id;
        }

        @Override
        public DomainConfig config(DomainId domain) {
            DomainInfo i = info(domain);
            return new DomainConfig(i.name(), i.maxPages(), Math.max(1, i.vcpus()),
                    toolstack.configOf(i.name()).orElse("native"), 0);
        }

        @Override
        public void suspendForMigration(DomainId domain) {
            NativeXenHost.this.suspend(domain);
        }

        @Override
        public void resumeAfterFailedMigration(DomainId domain) {
            XcDomainInfo i = infoOf(domain, "xc_domain_resume");
            if ((i.flags & XcDomainInfo.DOMINF_SHUTDOWN) != 0 && shutdownCode(i) == SHUTDOWN_SUSPEND) {
                if (guestLib == null) {
                    throw new XenException("xc_domain_resume", Errno.ENOSYS, domain
                            + " suspended itself and libxenguest is missing to resume it (apt-get install libxenmisc4.17)");
                }
                XenErrors.check(guestLib.xc_domain_resume(xch, domain.value(), 1), "xc_domain_resume", domain);
            } else {
                unpause(domain);
            }
        }

        @Override
        public List<Gfn> toolstackPages(DomainId domain) {
            if ((infoOf(domain, "xc_hvm_param_get").flags & XcDomainInfo.DOMINF_HVM_GUEST) == 0) {
                return List.of();
            }
            List<Gfn> out = new ArrayList<>();
            LongByReference v = new LongByReference();
            for (int param : TOOLSTACK_PAGE_PARAMS) {
                XenErrors.check(xc.xc_hvm_param_get(xch, domain.value(), param, v), "xc_hvm_param_get",
                        domain + " param " + param);
                if (v.getValue() != 0) {
                    out.add(Gfn.of(v.getValue()));
                }
            }
            return out;
        }

        /** Through the toolstack, so backends and xenstore entries go too; a domain it does not know, directly. */
        @Override
        public void destroy(DomainId domain) {
            infoOf(domain, "xc_domain_destroy");
            try {
                toolstack.destroy(domain);
            } catch (XenException e) {
                XenErrors.check(xc.xc_domain_destroy(xch, domain.value()), "xc_domain_destroy", domain);
            }
        }

        @Override
        public void pause(DomainId domain) {
            XenErrors.check(xc.xc_domain_pause(xch, domain.value()), "xc_domain_pause", domain);
        }

        @Override
        public void unpause(DomainId domain) {
            XenErrors.check(xc.xc_domain_unpause(xch, domain.value()), "xc_domain_unpause", domain);
        }

        /**
         * One opaque "vCPU 0" state for the whole domain: its TSC settings and the HVM context record, which holds
         * every vCPU's registers (see {@link HvmVcpuRecord}).
         */
        @Override
        public List<VcpuState> vcpuStates(DomainId domain) {
            IntByReference mode = new IntByReference();
            LongByReference nsec = new LongByReference();
            IntByReference khz = new IntByReference();
            IntByReference incarnation = new IntByReference();
            XenErrors.check(xc.xc_domain_get_tsc_info(xch, domain.value(), mode, nsec, khz, incarnation),
                    "xc_domain_get_tsc_info", domain);
            int size = XenErrors.check(xc.xc_domain_hvm_getcontext(xch, domain.value(), null, 0),
                    "xc_domain_hvm_getcontext", domain + " (size)");
            com.sun.jna.Memory buf = new com.sun.jna.Memory(Math.max(1, size));
            int got = XenErrors.check(xc.xc_domain_hvm_getcontext(xch, domain.value(), buf, size),
                    "xc_domain_hvm_getcontext", domain);
            HvmVcpuRecord record = new HvmVcpuRecord(new HvmVcpuRecord.TscInfo(mode.getValue(), nsec.getValue(),
                    khz.getValue(), incarnation.getValue()), buf.getByteArray(0, got));
            return List.of(new VcpuState(0, record.encode()));
        }

        @Override
        public void setVcpuState(DomainId domain, VcpuState state) {
            HvmVcpuRecord record = HvmVcpuRecord.decode(state.context());
            HvmVcpuRecord.TscInfo tsc = record.tsc();
            XenErrors.check(xc.xc_domain_set_tsc_info(xch, domain.value(), tsc.mode(), tsc.elapsedNsec(),
                    tsc.gtscKhz(), tsc.incarnation()), "xc_domain_set_tsc_info", domain);
            byte[] ctx = record.hvmContext();
            com.sun.jna.Memory buf = new com.sun.jna.Memory(Math.max(1, ctx.length));
            buf.write(0, ctx, 0, ctx.length);
            XenErrors.check(xc.xc_domain_hvm_setcontext(xch, domain.value(), buf, ctx.length),
                    "xc_domain_hvm_setcontext", domain);
        }

        @Override
        public void setMaxMemoryKiB(DomainId domain, long maxKiB) {
            XenErrors.check(xc.xc_domain_setmaxmem(xch, domain.value(), maxKiB), "xc_domain_setmaxmem", domain);
        }

        @Override
        /**
         * gfns backed by guest RAM. Xen-heap pages (shared info, grant table) read as XTAB, as libxc's own save
         * sees them, and are left out. Refused while the domain has paged-out pages.
         */
        public GfnBitmap populated(DomainId domain) {
            refuseIfPaged(domain, "xc_get_pfn_type_batch");
            long span = gfnSpan(domain);
            GfnBitmap out = new GfnBitmap(span);
            for (long from = 0; from < span; from += LibXenCtrl.PFN_TYPE_BATCH) {
                int n = (int) Math.min(LibXenCtrl.PFN_TYPE_BATCH, span - from);
                long[] types = pfnTypes(domain, from, n);
                for (int i = 0; i < n; i++) {
                    if (backedByRam(types[i])) {
                        out.set(from + i);
                    }
                }
            }
            return out;
        }

        /** Unpopulated gfns are skipped, as the emulated host does; Xen would fail the whole batch on one. */
        @Override
        public void decreaseReservation(DomainId domain, GfnBitmap gfns) {
            if (infoOf(domain, "xc_domain_decrease_reservation_exact").paged_pages == 0) {
                GfnBitmap present = populated(domain);
                GfnBitmap filtered = new GfnBitmap(gfns.size());
                for (long g = gfns.nextSet(0); g >= 0; g = gfns.nextSet(g + 1)) {
                    if (g < present.size() && present.get(g)) {
                        filtered.set(g);
                    }
                }
                gfns = filtered;
            }
            forChunks(gfns, (chunk, n) -> XenErrors.check(xc.xc_domain_decrease_reservation_exact(xch, domain.value(), n, 0,
                    chunk), "xc_domain_decrease_reservation_exact", domain + ", " + n + " gfns"));
        }

        @Override
        public void populate(DomainId domain, GfnBitmap gfns) {
            forChunks(gfns, (chunk, n) -> XenErrors.check(xc.xc_domain_populate_physmap_exact(xch, domain.value(), n, 0, 0,
                    chunk), "xc_domain_populate_physmap_exact", domain + ", " + n + " gfns"));
        }

        private void forChunks(GfnBitmap gfns, java.util.function.ObjIntConsumer<long[]> call) {
            long[] chunk = new long[1024];
            int[] n = {0};
            gfns.forEach(g -> {
                chunk[n[0]++] = g;
                if (n[0] == chunk.length) {
                    call.accept(chunk, n[0]);
                    n[0] = 0;
                }
            });
            if (n[0] > 0) {
                call.accept(java.util.Arrays.copyOf(chunk, n[0]), n[0]);
            }
        }
    }

    /** Foreign mappings one page at a time; only ever of the domain named in the call. */
    private final class Memory implements GuestMemory {
        private Pointer map(DomainId domain, Gfn gfn, int prot) {
            int[] err = new int[1];
            Pointer p = fm.xenforeignmemory_map(fmem, domain.value(), prot, 1, new long[] {gfn.value()}, err);
            if (p == null) {
                throw XenErrors.failure("xenforeignmemory_map", domain + " " + gfn);
            }
            if (err[0] != 0) {
                fm.xenforeignmemory_unmap(fmem, p, 1);
                Errno e = Errno.fromCode(-err[0]);
                throw new XenException("xenforeignmemory_map", e == null ? Errno.EINVAL : e, domain + " " + gfn);
            }
            return p;
        }

        @Override
        public void read(DomainId domain, Gfn gfn, ByteBuffer dst) {
            Pointer p = map(domain, gfn, LibXenForeignMemory.PROT_READ);
            try {
                int pos = dst.position();
                dst.put(pos, p.getByteBuffer(0, Gfn.PAGE_SIZE), 0, Gfn.PAGE_SIZE);
                dst.position(pos + Gfn.PAGE_SIZE);
            } finally {
                fm.xenforeignmemory_unmap(fmem, p, 1);
            }
        }

        @Override
        public void write(DomainId domain, Gfn gfn, ByteBuffer src) {
            Pointer p = map(domain, gfn, LibXenForeignMemory.PROT_READ | LibXenForeignMemory.PROT_WRITE);
            try {
                int pos = src.position();
                p.getByteBuffer(0, Gfn.PAGE_SIZE).put(0, src, pos, Gfn.PAGE_SIZE);
                src.position(pos + Gfn.PAGE_SIZE);
            } finally {
                fm.xenforeignmemory_unmap(fmem, p, 1);
            }
        }

        @Override
        public long gfnCount(DomainId domain) {
            return gfnSpan(domain);
        }

        /**
         * RAM_RW or INVALID only: Xen has no call that reports the paging states without paging the gfn in, so
         * this is refused while the domain has paged-out pages (the pager knows those states itself).
         */
        @Override
        public P2mType typeOf(DomainId domain, Gfn gfn) {
            refuseIfPaged(domain, "xc_get_pfn_type_batch");
            return backedByRam(pfnTypes(domain, gfn.value(), 1)[0]) ? P2mType.RAM_RW : P2mType.INVALID;
        }
    }

    private final class Dirty implements DirtyLog {
        @Override
        /**
         * As libxc's own save does: if Xen refuses because log-dirty is on already (EINVAL; a device model's VRAM
         * tracking leaves it on), turn it off and on again, so the bitmap starts empty.
         */
        public void enable(DomainId domain) {
            if (xc.xc_shadow_control(xch, domain.value(), LibXenCtrl.SHADOW_OP_ENABLE_LOGDIRTY, null, 0) == 0) {
                return;
            }
            XenException first = XenErrors.failure("xc_shadow_control", domain + " enable log-dirty");
            if (!first.is(Errno.EINVAL)) {
                throw first;
            }
            XenErrors.check(xc.xc_shadow_control(xch, domain.value(), LibXenCtrl.SHADOW_OP_OFF, null, 0),
                    "xc_shadow_control", domain + " log-dirty off, before enabling it again");
            XenErrors.check(xc.xc_shadow_control(xch, domain.value(), LibXenCtrl.SHADOW_OP_ENABLE_LOGDIRTY, null, 0),
                    "xc_shadow_control", domain + " enable log-dirty");
        }

        @Override
        public GfnBitmap readAndClear(DomainId domain) {
            return bitmap(domain, LibXenCtrl.SHADOW_OP_CLEAN, "clean");
        }

        @Override
        public GfnBitmap peek(DomainId domain) {
            return bitmap(domain, LibXenCtrl.SHADOW_OP_PEEK, "peek");
        }

        /** The bitmap must sit in hypercall memory; it is little-endian words, one bit per gfn, as GfnBitmap's. */
        private GfnBitmap bitmap(DomainId domain, int op, String what) {
            long span = gfnSpan(domain);
            int bytes = (int) (((span + 63) >>> 6) * 8);
            int pages = (bytes + Gfn.PAGE_SIZE - 1) / Gfn.PAGE_SIZE;
            XcHypercallBuffer buf = new XcHypercallBuffer();
            if (xc.xc__hypercall_buffer_alloc_pages(xch, buf, pages) == null) {
                throw XenErrors.failure("xc__hypercall_buffer_alloc_pages", domain + ", " + pages + " pages");
            }
            buf.read();
            try {
                long covered = xc.xc_logdirty_control(xch, domain.value(), op, buf, span, 0, null);
                if (covered < 0) {
                    throw XenErrors.failure("xc_logdirty_control", domain + " " + what);
                }
                long[] words = buf.hbuf.getLongArray(0, bytes / 8);
                int tail = (int) (span & 63);
                if (tail != 0) {
                    // Xen clears whole words; bits past the span carry nothing.
                    words[words.length - 1] &= (1L << tail) - 1;
                }
                return GfnBitmap.fromWords(span, words);
            } finally {
                xc.xc__hypercall_buffer_free_pages(xch, buf, pages);
            }
        }

        @Override
        public void disable(DomainId domain) {
            XenErrors.check(xc.xc_shadow_control(xch, domain.value(), LibXenCtrl.SHADOW_OP_OFF, null, 0),
                    "xc_shadow_control", domain + " disable log-dirty");
        }
    }

    /** A paging session that also closes its event-channel handle. */
    private record ClosingSession(NativePagingSession inner, Runnable onClose) implements PagingSession {
        @Override
        public DomainId domain() {
            return inner.domain();
        }

        @Override
        public void nominate(Gfn gfn) {
            inner.nominate(gfn);
        }

        @Override
        public void evict(Gfn gfn) {
            inner.evict(gfn);
        }

        @Override
        public void load(Gfn gfn, ByteBuffer src) {
            inner.load(gfn, src);
        }

        @Override
        public boolean awaitEvent(long timeout, java.util.concurrent.TimeUnit unit) {
            return inner.awaitEvent(timeout, unit);
        }

        @Override
        public int takeRequests(List<org.xenpostcopy.xen.PagingRequest> out) {
            return inner.takeRequests(out);
        }

        @Override
        public void respond(org.xenpostcopy.xen.PagingRequest request) {
            inner.respond(request);
        }

        @Override
        public void pushResponses() {
            inner.pushResponses();
        }

        @Override
        public void close() {
            inner.close();
            onClose.run();
        }
    }
}
