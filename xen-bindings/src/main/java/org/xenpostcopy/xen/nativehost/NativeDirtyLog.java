package org.xenpostcopy.xen.nativehost;

import org.xenpostcopy.xen.DirtyLog;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.XenException;

/** Log-dirty through {@code xc_shadow_control} and {@code xc_logdirty_control}. */
final class NativeDirtyLog implements DirtyLog {
    private final LibXenCtrl xc;
    private final Handles.XcInterface xch;
    private final XcDomainQueries queries;

    NativeDirtyLog(LibXenCtrl xc, Handles.XcInterface xch, XcDomainQueries queries) {
        this.xc = xc;
        this.xch = xch;
        this.queries = queries;
    }

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
        long span = queries.gfnSpan(domain);
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
