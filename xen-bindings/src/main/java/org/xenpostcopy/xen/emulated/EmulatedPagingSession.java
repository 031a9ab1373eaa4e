package org.xenpostcopy.xen.emulated;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.P2mType;
import org.xenpostcopy.xen.PagingRequest;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.ring.BackRing;
import org.xenpostcopy.xen.ring.SharedRing;
import org.xenpostcopy.xen.ring.VmEvent;

/**
 * The pager's side on the emulated host: mem_paging operations go straight to the domain's p2m (as the hypercalls
 * would), the ring is read and written through the shared {@link BackRing} codec, and notifying the event channel
 * runs the hypervisor's response handling, as the hypercall does on Xen.
 */
final class EmulatedPagingSession implements PagingSession {
    private final EmulatedDomain domain;
    private final BackRing back;
    private boolean closed;

    EmulatedPagingSession(EmulatedDomain domain) {
        this.domain = domain;
        domain.attachPager();
        this.back = new BackRing(new SharedRing(domain.paging.ringPage()));
    }

    @Override
    public DomainId domain() {
        return domain.id;
    }

    @Override
    public void nominate(Gfn gfn) {
        domain.nominate(gfn.value());
    }

    @Override
    public void evict(Gfn gfn) {
        domain.evict(gfn.value());
    }

    @Override
    public void load(Gfn gfn, ByteBuffer src) {
        domain.load(gfn.value(), src);
    }

    @Override
    public boolean awaitEvent(long timeout, TimeUnit unit) throws InterruptedException {
        return domain.paging.pagerPort().await(timeout, unit);
    }

    @Override
    public int takeRequests(List<PagingRequest> out) {
        int n = 0;
        do {
            while (back.unconsumedRequests() > 0) {
                VmEvent e = back.takeRequest();
                out.add(new PagingRequest(Gfn.of(e.gfn()), e.vcpuId(), e.vcpuPaused(), e.foreign(),
                        P2mType.fromCode(e.p2mt()), e.pagingFlags()));
                n++;
            }
        } while (back.finalCheckForRequests());
        return n;
    }

    @Override
    public void respond(PagingRequest request) {
        int flags = request.vcpuPaused() ? org.xenpostcopy.xen.ring.VmEventLayout.FLAG_VCPU_PAUSED : 0;
        VmEvent req = new VmEvent(org.xenpostcopy.xen.ring.VmEventLayout.INTERFACE_VERSION, flags,
                org.xenpostcopy.xen.ring.VmEventLayout.REASON_MEM_PAGING, request.vcpu(), 0, request.gfn().value(),
                request.p2mType().code(), 0);
        back.putResponse(VmEvent.pagingResponseTo(req));
    }

    /** Puts a response exactly as given, for tests of what Xen does with a malformed one. */
    void respondRaw(VmEvent response) {
        back.putResponse(response);
    }

    @Override
    public void pushResponses() {
        if (back.pushResponses()) {
            domain.paging.onPagerNotify();
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            domain.detachPager();
        }
    }
}
