package org.xenpostcopy.xen.nativehost;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.PagingRequest;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.ring.PagingRingBackEnd;
import org.xenpostcopy.xen.ring.SharedRing;
import org.xenpostcopy.xen.ring.VmEventLayout;

/**
 * The pager on a real Xen host, in xenpaging's order: {@code xc_vm_event_enable} maps the ring page (from
 * HVM_PARAM_PAGING_RING_PFN), enables paging and returns the port; bind the event channel; SHARED_RING_INIT +
 * BACK_RING_INIT; then nominate/evict/load through {@code xc_mem_paging_*}, and for each request: load, put the
 * response, push, notify. Closing disables paging, unbinds and unmaps.
 */
final class NativePagingSession implements PagingSession {
    private final LibXenCtrl xc;
    private final Handles.XcInterface xch;
    private final LibXenEvtchn ev;
    private final Handles.Evtchn xce;
    private final DomainId domain;
    private final Pointer ringPage;
    private final int localPort;
    private final PagingRingBackEnd ring;
    /** xc_mem_paging_load bounces through a hypercall buffer; one staging page, guarded by this. */
    private final Memory staging = new Memory(Gfn.PAGE_SIZE);
    private final LibC libc;
    private boolean closed;

    NativePagingSession(LibXenCtrl xc, Handles.XcInterface xch, LibXenEvtchn ev, Handles.Evtchn xce, DomainId domain,
                        LibC libc) {
        this.xc = xc;
        this.xch = xch;
        this.ev = ev;
        this.xce = xce;
        this.domain = domain;
        this.libc = libc;
        IntByReference port = new IntByReference();
        int dom = domain.value();
        this.ringPage = XenErrors.checkPointer(xc.xc_vm_event_enable(xch, dom, LibXenCtrl.HVM_PARAM_PAGING_RING_PFN, port),
                "xc_vm_event_enable", domain);
        int bound;
        try {
            bound = XenErrors.check(ev.xenevtchn_bind_interdomain(xce, dom, port.getValue()),
                    "xenevtchn_bind_interdomain", domain + " port " + port.getValue());
        } catch (XenException e) {
            xc.xc_mem_paging_disable(xch, dom);
            throw e;
        }
        this.localPort = bound;
        SharedRing shared = new SharedRing(ringPage.getByteBuffer(0, VmEventLayout.PAGE_SIZE));
        shared.init();
        this.ring = new PagingRingBackEnd(shared);
    }

    @Override
    public DomainId domain() {
        return domain;
    }

    @Override
    public void nominate(Gfn gfn) {
        XenErrors.check(xc.xc_mem_paging_nominate(xch, domain.value(), gfn.value()), "xc_mem_paging_nominate",
                domain + " " + gfn);
    }

    @Override
    public void evict(Gfn gfn) {
        XenErrors.check(xc.xc_mem_paging_evict(xch, domain.value(), gfn.value()), "xc_mem_paging_evict", domain + " " + gfn);
    }

    @Override
    public synchronized void load(Gfn gfn, ByteBuffer src) {
        if (src.remaining() < Gfn.PAGE_SIZE) {
            throw new XenException("xc_mem_paging_load", Errno.EINVAL, "buffer has " + src.remaining() + " bytes left");
        }
        ByteBuffer dst = staging.getByteBuffer(0, Gfn.PAGE_SIZE);
        int pos = src.position();
        dst.put(0, src, pos, Gfn.PAGE_SIZE);
        src.position(pos + Gfn.PAGE_SIZE);
        XenErrors.check(xc.xc_mem_paging_load(xch, domain.value(), gfn.value(), staging), "xc_mem_paging_load",
                domain + " " + gfn);
    }

    @Override
    public boolean awaitEvent(long timeout, TimeUnit unit) {
        LibC.PollFd pfd = new LibC.PollFd();
        pfd.fd = XenErrors.check(ev.xenevtchn_fd(xce), "xenevtchn_fd", domain);
        pfd.events = LibC.POLLIN;
        int ms = (int) Math.min(Integer.MAX_VALUE, unit.toMillis(timeout));
        if (XenErrors.check(libc.poll(pfd, 1, ms), "poll", "event channel of " + domain) == 0) {
            return false;
        }
        int port = XenErrors.check(ev.xenevtchn_pending(xce), "xenevtchn_pending", domain);
        XenErrors.check(ev.xenevtchn_unmask(xce, port), "xenevtchn_unmask", domain + " port " + port);
        return port == localPort;
    }

    @Override
    public int takeRequests(List<PagingRequest> out) {
        return ring.takeRequests(out);
    }

    @Override
    public void respond(PagingRequest request) {
        ring.respond(request);
    }

    @Override
    public void pushResponses() {
        if (ring.pushResponses()) {
            XenErrors.check(ev.xenevtchn_notify(xce, localPort), "xenevtchn_notify", domain + " port " + localPort);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        xc.xc_mem_paging_disable(xch, domain.value());
        ev.xenevtchn_unbind(xce, localPort);
        libc.munmap(ringPage, VmEventLayout.PAGE_SIZE);
    }
}
