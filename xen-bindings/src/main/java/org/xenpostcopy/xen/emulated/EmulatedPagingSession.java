package org.xenpostcopy.xen.emulated;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.PagingRequest;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.ring.PagingRingBackEnd;
import org.xenpostcopy.xen.ring.SharedRing;
import org.xenpostcopy.xen.ring.VmEvent;

/**
 * The pager's side on the emulated host: mem_paging operations (nominate, evict, load) go straight to the domain's
 * p2m and memory, as the hypercalls would, the ring is read and written through the shared {@link BackRing} codec,
 * and notifying the event channel runs the hypervisor's response handling, as the hypercall does on Xen.
 */
final class EmulatedPagingSession implements PagingSession {
    private final EmulatedDomain domain;
    private final DomainId id;
    private final P2mTable p2m;
    private final GuestPhysicalMemory memory;
    private final PagingRingBackEnd ring;
    private boolean closed;

    EmulatedPagingSession(EmulatedDomain domain) {
        this.domain = domain;
        this.id = domain.id;
        this.p2m = domain.p2m;
        this.memory = domain.memory;
        domain.vcpus.checkAlive("xc_mem_paging_enable");
        if (!domain.paging.attachPager()) {
            throw new XenException("xc_mem_paging_enable", Errno.EBUSY, id + " already has a pager");
        }
        this.ring = new PagingRingBackEnd(new SharedRing(domain.paging.ringPage()));
    }

    @Override
    public DomainId domain() {
        return id;
    }

    // ---- the hypervisor's half of xc_mem_paging_* ------------------------------------------------------------

    @Override
    public void nominate(Gfn gfn) {
        long g = gfn.value();
        p2m.checkRange("xc_mem_paging_nominate", g);
        synchronized (p2m.lock(g)) {
            p2m.checkNotFreed("xc_mem_paging_nominate");
            byte t = p2m.get(g);
            if (t != P2mTable.RAM_RW) {
                throw new XenException("xc_mem_paging_nominate", Errno.EBUSY,
                        String.format("%s gfn 0x%x is %s", id, g, P2mTable.toPublic(t)));
            }
            p2m.set(g, P2mTable.PAGING_OUT);
        }
    }

    @Override
    public void evict(Gfn gfn) {
        long g = gfn.value();
        p2m.checkRange("xc_mem_paging_evict", g);
        synchronized (p2m.lock(g)) {
            p2m.checkNotFreed("xc_mem_paging_evict");
            byte t = p2m.get(g);
            if (t != P2mTable.PAGING_OUT) {
                throw new XenException("xc_mem_paging_evict", Errno.EBUSY,
                        String.format("%s gfn 0x%x is %s (touched since nomination?)", id, g, P2mTable.toPublic(t)));
            }
            memory.scrub(g);
            p2m.set(g, P2mTable.PAGED);
        }
    }

    /** One pass over the p2m: each gfn nominated and evicted under one hold of its lock. */
    @Override
    public void evictAll(GfnBitmap gfns) {
        gfns.forEach(g -> {
            p2m.checkRange("xc_mem_paging_nominate", g);
            synchronized (p2m.lock(g)) {
                p2m.checkNotFreed("xc_mem_paging_nominate");
                byte t = p2m.get(g);
                if (t != P2mTable.RAM_RW) {
                    throw new XenException("xc_mem_paging_nominate", Errno.EBUSY,
                            String.format("%s gfn 0x%x is %s", id, g, P2mTable.toPublic(t)));
                }
                memory.scrub(g);
                p2m.set(g, P2mTable.PAGED);
            }
        });
    }

    @Override
    public void load(Gfn gfn, ByteBuffer src) {
        long g = gfn.value();
        p2m.checkRange("xc_mem_paging_load", g);
        if (src.remaining() < Gfn.PAGE_SIZE) {
            throw new XenException("xc_mem_paging_load", Errno.EINVAL,
                    "buffer has " + src.remaining() + " bytes left, a page needs 4096");
        }
        synchronized (p2m.lock(g)) {
            p2m.checkNotFreed("xc_mem_paging_load");
            byte t = p2m.get(g);
            if (t != P2mTable.PAGED && t != P2mTable.PAGING_IN) {
                // Xen 4.17's mem_paging prepare() answers ENOENT here; EINVAL means a bad buffer or a dying domain.
                throw new XenException("xc_mem_paging_load", Errno.ENOENT,
                        String.format("%s gfn 0x%x is %s, not paged out", id, g, P2mTable.toPublic(t)));
            }
            memory.copyIn(g, src);
            p2m.set(g, P2mTable.RAM_RW);
        }
    }

    // ---- the ring ------------------------------------------------------------------------------------------------

    @Override
    public boolean awaitEvent(long timeout, TimeUnit unit) throws InterruptedException {
        boolean fired = domain.paging.pagerPort().await(timeout, unit);
        if (domain.paging.pagerPort().isClosed()) {
            // A closed port never blocks again: a pager that kept waiting on it would spin for good.
            throw new XenException("xenevtchn_pending", Errno.ESRCH, id + " is gone: its event channel was closed");
        }
        return fired;
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
            domain.paging.detachPager();
        }
    }
}
