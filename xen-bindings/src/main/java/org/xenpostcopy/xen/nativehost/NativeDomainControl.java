package org.xenpostcopy.xen.nativehost;

import com.sun.jna.Memory;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.ObjIntConsumer;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.ExitFence;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStore;

/**
 * Domain control on real Xen through libxenctrl's {@code xc_domain_*} calls; what only the toolstack can do
 * (building a domain with its devices, tearing it down with its backends) goes through {@link Toolstack}, and the
 * guest's suspend handshake through {@link GuestSuspend}.
 */
final class NativeDomainControl implements DomainControl {
    private static final int MAX_DOMAINS = 1024;
    /** xenstore, console, ioreq, bufioreq, paging, monitor and sharing ring gfns (HVM_PARAM_*). */
    private static final int[] TOOLSTACK_PAGE_PARAMS = {1, 5, 6, 17, 27, 28, 29};

    private final LibXenCtrl xc;
    private final Handles.XcInterface xch;
    private final XenStore store;
    private final Toolstack toolstack;
    private final GuestSuspend suspend;
    private final XcDomainQueries queries;

    NativeDomainControl(LibXenCtrl xc, Handles.XcInterface xch, XenStore store, Toolstack toolstack,
                        GuestSuspend suspend, XcDomainQueries queries) {
        this.xc = xc;
        this.xch = xch;
        this.store = store;
        this.toolstack = toolstack;
        this.suspend = suspend;
        this.queries = queries;
    }

    private DomainInfo toInfo(XcDomainInfo i) {
        DomainId id = DomainId.of(Short.toUnsignedInt(i.domain));
        DomainInfo.State state = (i.flags & XcDomainInfo.DOMINF_DYING) != 0 ? DomainInfo.State.DYING
                : (i.flags & XcDomainInfo.DOMINF_SHUTDOWN) != 0 ? DomainInfo.State.SHUTDOWN
                : (i.flags & XcDomainInfo.DOMINF_PAUSED) != 0 ? DomainInfo.State.PAUSED : DomainInfo.State.RUNNING;
        String name = store.read(XenStore.domainPath(id) + "/name").orElse(id.value() == 0 ? "Domain-0" : "dom" + id.value());
        return new DomainInfo(id, name, i.tot_pages, i.max_pages, i.paged_pages, i.nr_online_vcpus, state);
    }

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
        return toInfo(queries.infoOf(domain, "xc_domain_getinfolist"));
    }

    @Override
    public Optional<DomainId> lookup(String name) {
        return list().stream().filter(d -> d.name().equals(name)).map(DomainInfo::id).findFirst();
    }

    /**
     * Built by the toolstack, devices, special pages, xenstore introduction and all, from this host's own xl
     * configuration of that name, or from the one that travels in {@code config.guest()} if the toolstack's policy
     * accepts it ({@link XlConfigPolicy}). A name that is taken here is refused. Paused unless {@code boot}.
     */
    @Override
    public DomainId create(DomainConfig config, boolean boot) {
        if (lookup(config.name()).isPresent()) {
            throw new XenException("xl create", Errno.EEXIST, "a domain named '" + config.name() + "' exists here");
        }
        Optional<String> travelled = config.guest().contains("=") ? Optional.of(config.guest()) : Optional.empty();
        String xlConfig = toolstack.configForIncoming(config.name(), config.memoryPages(), travelled);
        DomainId id = toolstack.createPaused(config.name(), xlConfig);
        if (boot) {
            unpause(id);
        }
        return id;
    }

    /**
     * What Xen has free and not claimed ({@code xc_physinfo}: {@code free_pages - outstanding_pages}), as
     * {@code xl info} shows free_memory. Memory dom0 could balloon out to make room is not counted.
     */
    @Override
    public OptionalLong freeMemoryKiB() {
        XcPhysinfo p = new XcPhysinfo();
        XenErrors.check(xc.xc_physinfo(xch, p), "xc_physinfo", "the host");
        p.read();
        return OptionalLong.of(Math.max(0, p.free_pages - p.outstanding_pages) * 4);
    }

    @Override
    public ExitFence pauseIfThisProcessDies(DomainId domain) {
        queries.infoOf(domain, "xl pause");
        return toolstack.pauseIfThisProcessDies(domain);
    }

    @Override
    public DomainConfig config(DomainId domain) {
        DomainInfo i = info(domain);
        return new DomainConfig(i.name(), i.maxPages(), Math.max(1, i.vcpus()),
                toolstack.configOf(i.name()).orElse("native"), 0);
    }

    @Override
    public void suspendForMigration(DomainId domain) {
        suspend.suspend(domain);
    }

    @Override
    public void resumeAfterFailedMigration(DomainId domain) {
        if (!suspend.resumeIfSuspended(domain, true)) {
            unpause(domain);
        }
    }

    @Override
    public void resumeRestored(DomainId domain) {
        if (!suspend.resumeIfSuspended(domain, false)) {
            unpause(domain);
        }
    }

    @Override
    public List<Gfn> toolstackPages(DomainId domain) {
        if ((queries.infoOf(domain, "xc_hvm_param_get").flags & XcDomainInfo.DOMINF_HVM_GUEST) == 0) {
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
        queries.infoOf(domain, "xc_domain_destroy");
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
        Memory buf = new Memory(Math.max(1, size));
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
        Memory buf = new Memory(Math.max(1, ctx.length));
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
        queries.refuseIfPaged(domain, "xc_get_pfn_type_batch");
        long span = queries.gfnSpan(domain);
        GfnBitmap out = new GfnBitmap(span);
        for (long from = 0; from < span; from += LibXenCtrl.PFN_TYPE_BATCH) {
            int n = (int) Math.min(LibXenCtrl.PFN_TYPE_BATCH, span - from);
            long[] types = queries.pfnTypes(domain, from, n);
            for (int i = 0; i < n; i++) {
                if (XcDomainQueries.backedByRam(types[i])) {
                    out.set(from + i);
                }
            }
        }
        return out;
    }

    /** One {@code getpageframeinfo3} per 1024 gfns of {@code gfns}; the caller keeps paged-out gfns out of it. */
    @Override
    public GfnBitmap populatedAmong(DomainId domain, GfnBitmap gfns) {
        queries.infoOf(domain, "xc_get_pfn_type_batch");
        GfnBitmap out = new GfnBitmap(gfns.size());
        long[] batch = new long[LibXenCtrl.PFN_TYPE_BATCH];
        int n = 0;
        for (long g = gfns.nextSet(0); g >= 0; g = gfns.nextSet(g + 1)) {
            batch[n++] = g;
            if (n == batch.length) {
                markRam(domain, batch, out);
                n = 0;
            }
        }
        if (n > 0) {
            markRam(domain, Arrays.copyOf(batch, n), out);
        }
        return out;
    }

    private void markRam(DomainId domain, long[] gfns, GfnBitmap out) {
        long[] types = queries.pfnTypesOf(domain, gfns);
        for (int i = 0; i < gfns.length; i++) {
            if (XcDomainQueries.backedByRam(types[i])) {
                out.set(gfns[i]);
            }
        }
    }

    @Override
    public long heldPages(DomainId domain) {
        XcDomainInfo i = queries.infoOf(domain, "xc_domain_getinfolist");
        // Xen frees a page it pages out (tot_pages falls) and counts it in paged_pages instead.
        return i.tot_pages + i.paged_pages;
    }

    /**
     * Unpopulated gfns are skipped, as the emulated host does, when nothing is paged out (read from one pass over the
     * p2m). With pages out that read is refused, and every gfn must be populated: Xen stops at the first it cannot
     * give back, which is named. A paged-out gfn is one (Xen 4.17's guest_remove_page fails it with EILSEQ): page it
     * in first.
     */
    @Override
    public void decreaseReservation(DomainId domain, GfnBitmap gfns) {
        if (queries.infoOf(domain, "xc_domain_decrease_reservation").paged_pages == 0) {
            GfnBitmap present = populated(domain);
            GfnBitmap filtered = new GfnBitmap(gfns.size());
            for (long g = gfns.nextSet(0); g >= 0; g = gfns.nextSet(g + 1)) {
                if (g < present.size() && present.get(g)) {
                    filtered.set(g);
                }
            }
            gfns = filtered;
        }
        forChunks(gfns, (chunk, n) -> {
            int done = xc.xc_domain_decrease_reservation(xch, domain.value(), n, 0, chunk);
            if (done < 0) {
                throw XenErrors.failure("xc_domain_decrease_reservation", domain + ", " + n + " gfns");
            }
            if (done < n) {
                throw new XenException("xc_domain_decrease_reservation", Errno.EINVAL, domain + ": Xen kept gfn 0x"
                        + Long.toHexString(chunk[done]) + " (a hole here, or paged out) after giving back " + done
                        + " of a batch of " + n + " (earlier batches of this call are given back)");
            }
        });
    }

    @Override
    public void populate(DomainId domain, GfnBitmap gfns) {
        forChunks(gfns, (chunk, n) -> XenErrors.check(xc.xc_domain_populate_physmap_exact(xch, domain.value(), n, 0, 0,
                chunk), "xc_domain_populate_physmap_exact", domain + ", " + n + " gfns"));
    }

    private static void forChunks(GfnBitmap gfns, ObjIntConsumer<long[]> call) {
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
            call.accept(Arrays.copyOf(chunk, n[0]), n[0]);
        }
    }
}
