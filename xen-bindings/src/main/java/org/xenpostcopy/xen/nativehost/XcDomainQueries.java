package org.xenpostcopy.xen.nativehost;

import com.sun.jna.ptr.LongByReference;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.NoSuchDomainException;
import org.xenpostcopy.xen.XenException;

/**
 * What the native host's interfaces ask libxenctrl about a domain before they act on it: its info record (a missing
 * domain is a {@link NoSuchDomainException}), its gfn span, and the p2m types of its gfns.
 */
final class XcDomainQueries {
    private final LibXenCtrl xc;
    private final Handles.XcInterface xch;

    XcDomainQueries(LibXenCtrl xc, Handles.XcInterface xch) {
        this.xc = xc;
        this.xch = xch;
    }

    XcDomainInfo infoOf(DomainId id, String call) {
        XcDomainInfo info = new XcDomainInfo();
        int n = XenErrors.check(xc.xc_domain_getinfolist(xch, id.value(), 1, info), call, id);
        // getinfolist lists from the id on: a missing domain silently yields the next one.
        if (n < 1 || Short.toUnsignedInt(info.domain) != id.value()) {
            throw new NoSuchDomainException(call, id);
        }
        return info;
    }

    /** gfns 0..max_gpfn: a PVH guest's special pages sit far above its RAM, so max_pages would miss them. */
    long gfnSpan(DomainId domain) {
        infoOf(domain, "xc_domain_maximum_gpfn");
        LongByReference max = new LongByReference();
        XenErrors.check(xc.xc_domain_maximum_gpfn(xch, domain.value(), max), "xc_domain_maximum_gpfn", domain);
        return max.getValue() + 1;
    }

    /** getpageframeinfo3 would page every paged-out gfn back in; refuse rather than undo the pager's work. */
    void refuseIfPaged(DomainId domain, String call) {
        long paged = infoOf(domain, call).paged_pages;
        if (paged > 0) {
            throw new XenException(call, Errno.EBUSY, domain + " has " + paged + " paged-out pages; reading its p2m "
                    + "types would page them all back in (ask the pager which gfns it holds instead)");
        }
    }

    /** XEN_DOMCTL_PFINFO_* types of gfns [from, from + n), n ≤ 1024. */
    long[] pfnTypes(DomainId domain, long from, int n) {
        long[] arr = new long[n];
        for (int i = 0; i < n; i++) {
            arr[i] = from + i;
        }
        XenErrors.check(xc.xc_get_pfn_type_batch(xch, domain.value(), n, arr), "xc_get_pfn_type_batch",
                domain + " gfns 0x" + Long.toHexString(from) + "+" + n);
        return arr;
    }

    /** XEN_DOMCTL_PFINFO_* types of the listed gfns, at most 1024; none may be paged out (it would be paged in). */
    long[] pfnTypesOf(DomainId domain, long[] gfns) {
        long[] arr = gfns.clone();
        XenErrors.check(xc.xc_get_pfn_type_batch(xch, domain.value(), arr.length, arr), "xc_get_pfn_type_batch",
                domain + " " + arr.length + " gfns from 0x" + Long.toHexString(gfns[0]));
        return arr;
    }

    static boolean backedByRam(long pfinfo) {
        long t = pfinfo & (LibXenCtrl.PFINFO_LTAB_MASK & 0xffffffffL);
        return t != (LibXenCtrl.PFINFO_XTAB & 0xffffffffL) && t != (LibXenCtrl.PFINFO_BROKEN & 0xffffffffL)
                && t != (LibXenCtrl.PFINFO_XALLOC & 0xffffffffL);
    }
}
