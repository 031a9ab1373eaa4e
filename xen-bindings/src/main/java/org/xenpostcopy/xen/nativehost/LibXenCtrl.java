package org.xenpostcopy.xen.nativehost;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;

/**
 * libxenctrl 4.17 ({@code xenctrl.h}). Every function returns 0 (or a count) on success and -1 with errno set on
 * failure; callers pass the result to {@link XenErrors#check}. Domain ids are {@code uint32_t} in these calls.
 */
public interface LibXenCtrl extends Library {
    /** Loaded on first use; absent libraries make this fail with UnsatisfiedLinkError, which callers turn into one line. */
    static LibXenCtrl load() {
        return Native.load("xenctrl", LibXenCtrl.class);
    }

    /** Opens the privcmd interface; NULL with errno (ENOENT without /dev/xen/privcmd). Closed by xc_interface_close. */
    Handles.XcInterface xc_interface_open(Pointer logger, Pointer dombuildLogger, int openFlags);

    int xc_interface_close(Handles.XcInterface xch);

    /** Domains from {@code first_domain} on; a missing id silently yields the next — compare the returned ids. */
    int xc_domain_getinfolist(Handles.XcInterface xch, int firstDomain, int maxDomains, XcDomainInfo info);

    int xc_domain_pause(Handles.XcInterface xch, int domid);

    int xc_physinfo(Handles.XcInterface xch, XcPhysinfo info);

    int xc_domain_unpause(Handles.XcInterface xch, int domid);

    int xc_domain_destroy(Handles.XcInterface xch, int domid);

    int xc_domain_setmaxmem(Handles.XcInterface xch, int domid, long maxMemkb);

    /** Returns the context size on success (not 0). */
    int xc_domain_hvm_getcontext(Handles.XcInterface xch, int domid, Pointer ctxtBuf, int size);

    int xc_domain_hvm_setcontext(Handles.XcInterface xch, int domid, Pointer hvmCtxt, int size);

    int xc_domain_get_tsc_info(Handles.XcInterface xch, int domid, IntByReference tscMode,
                               LongByReference elapsedNsec, IntByReference gtscKhz, IntByReference incarnation);

    /** Before the HVM context on restore, as Xen's stream does (X86_TSC_INFO precedes HVM_CONTEXT). */
    int xc_domain_set_tsc_info(Handles.XcInterface xch, int domid, int tscMode, long elapsedNsec, int gtscKhz,
                               int incarnation);

    int xc_hvm_param_get(Handles.XcInterface xch, int dom, int param, LongByReference value);

    int xc_domain_decrease_reservation_exact(Handles.XcInterface xch, int domid, long nrExtents, int extentOrder,
                                             long[] extentStart);

    /** As {@code _exact}, but returns how many it gave back: Xen stops at the first gfn it cannot. */
    int xc_domain_decrease_reservation(Handles.XcInterface xch, int domid, long nrExtents, int extentOrder,
                                       long[] extentStart);

    int xc_domain_populate_physmap_exact(Handles.XcInterface xch, int domid, long nrExtents, int extentOrder,
                                         int memFlags, long[] extentStart);

    /** Only the domctl: returns the event-channel port; the ring is mapped separately (see xc_vm_event_enable). */
    int xc_mem_paging_enable(Handles.XcInterface xch, int domainId, IntByReference port);

    int xc_mem_paging_disable(Handles.XcInterface xch, int domainId);

    int xc_mem_paging_resume(Handles.XcInterface xch, int domainId);

    int xc_mem_paging_nominate(Handles.XcInterface xch, int domainId, long gfn);

    int xc_mem_paging_evict(Handles.XcInterface xch, int domainId, long gfn);

    int xc_mem_paging_prep(Handles.XcInterface xch, int domainId, long gfn);

    /** prep with a 4 KiB buffer: the page's new contents. */
    int xc_mem_paging_load(Handles.XcInterface xch, int domainId, long gfn, Pointer buffer);

    /**
     * Maps the ring page of {@code param} (HVM_PARAM_PAGING_RING_PFN), enables the interface, returns the mapped page
     * and the port; exported by libxenctrl.so.4.17 though no public header declares it. NULL with errno on failure.
     */
    Pointer xc_vm_event_enable(Handles.XcInterface xch, int domainId, int param, IntByReference port);

    /** XEN_DOMCTL_SHADOW_OP_* without a bitmap: enable/disable log-dirty. */
    int xc_shadow_control(Handles.XcInterface xch, int domid, int sop, IntByReference mb, int mode);

    /**
     * SHADOW_OP_CLEAN / _PEEK: copies the dirty bitmap of the first {@code pages} gfns into {@code bitmap}'s
     * hypercall memory; returns the number of gfns covered, -1 with errno on failure.
     */
    long xc_logdirty_control(Handles.XcInterface xch, int domid, int sop, XcHypercallBuffer bitmap, long pages, int mode,
                             Pointer stats);

    /** Fills {@code b.hbuf} with {@code nrPages} pages of hypercall-safe memory and returns it; NULL on failure. */
    Pointer xc__hypercall_buffer_alloc_pages(Handles.XcInterface xch, XcHypercallBuffer b, int nrPages);

    void xc__hypercall_buffer_free_pages(Handles.XcInterface xch, XcHypercallBuffer b, int nrPages);

    /** The highest gfn the domain's p2m has ever mapped (special pages of a PVH guest sit near 4 GiB). */
    int xc_domain_maximum_gpfn(Handles.XcInterface xch, int domid, LongByReference gpfns);

    /**
     * XEN_DOMCTL_getpageframeinfo3 on up to 1024 gfns, in place: each entry becomes its XEN_DOMCTL_PFINFO_* type.
     * Exported, declared only in libxenctrl's private header. Xen looks each gfn up with P2M_ALLOC, so a paged-out
     * gfn is paged back in by the call: never use it on a domain that is being paged.
     */
    int xc_get_pfn_type_batch(Handles.XcInterface xch, int dom, int num, long[] arr);

    int HVM_PARAM_PAGING_RING_PFN = 27;
    int SHADOW_OP_OFF = 0;
    int SHADOW_OP_ENABLE_LOGDIRTY = 2;
    int SHADOW_OP_CLEAN = 11;
    int SHADOW_OP_PEEK = 12;
    int PFINFO_LTAB_MASK = 0xf << 28;
    int PFINFO_XTAB = 0xf << 28;
    int PFINFO_XALLOC = 0xe << 28;
    int PFINFO_BROKEN = 0xd << 28;
    int PFN_TYPE_BATCH = 1024;
}
