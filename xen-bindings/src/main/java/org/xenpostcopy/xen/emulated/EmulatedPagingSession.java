package org.xenpostcopy.xen.emulated;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.PagingRequest;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.ring.PagingRingBackEnd;
import org.xenpostcopy.xen.ring.SharedRing;
import org.xenpostcopy.xen.ring.VmEvent;

/**
 * The pager's side on the emulated host: mem_paging operations go straight to the domain's p2m (as the hypercalls
 * would), the ring is read and written through the shared {@link BackRing} codec, and notifying the event channel
 * runs the hypervisor's response handling, as the hypercall does on Xen.
 */
final class EmulatedPagingSession implements PagingSession {
    private final EmulatedDomain domain;
    private final PagingRingBackEnd ring;
    private boolean closed;

    EmulatedPagingSession(EmulatedDomain domain) {
        this.domain = domain;
        domain.attachPager();
        this.ring = new PagingRingBackEnd(new SharedRing(domain.paging.ringPage()));
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
        return ring.takeRequests(out);
    }

    @Override
    public void respond(PagingRequest request) {
        ring.respond(request);
    }

    /** Puts a response exactly as given, for tests of what Xen does with a malformed one. */
    void respondRaw(VmEvent response) {
        ring.respondRaw(response);
    }

    @Override
    public void pushResponses() {
        if (ring.pushResponses()) {
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
