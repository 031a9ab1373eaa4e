package org.xenpostcopy.xen.emulated;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.xenpostcopy.xen.ring.FrontRing;
import org.xenpostcopy.xen.ring.SharedRing;
import org.xenpostcopy.xen.ring.VmEvent;
import org.xenpostcopy.xen.ring.VmEventLayout;

/**
 * The emulated hypervisor's side of a domain's paging ring ({@code xen/common/vm_event.c}): it puts a request
 * for each faulting vCPU, blocks the vCPU while the ring is full or its request is unanswered, and on the pager's
 * notification consumes responses, dropping any whose version is not 7, as Xen does.
 */
final class PagingFrontEnd {
    private static final Logger LOG = System.getLogger(PagingFrontEnd.class.getName());

    private final String domainName;
    private final ByteBuffer ringPage;
    private final SharedRing shared;
    private final FrontRing front;
    private final EventChannel toPager = new EventChannel();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Per vCPU: a response arrived for its outstanding request. */
    private final boolean[] answered;
    private boolean disabled;
    private long droppedResponses;
    private volatile boolean pagerAttached;

    PagingFrontEnd(String domainName, int vcpus) {
        this.domainName = domainName;
        this.ringPage = ByteBuffer.allocateDirect(VmEventLayout.PAGE_SIZE);
        this.shared = new SharedRing(ringPage);
        shared.init();
        this.front = new FrontRing(shared);
        this.answered = new boolean[vcpus];
    }

    ByteBuffer ringPage() {
        return ringPage;
    }

    EventChannel pagerPort() {
        return toPager;
    }

    /** A pager enables paging on this ring ({@code xc_mem_paging_enable}); false if one already has. */
    boolean attachPager() {
        if (pagerAttached) {
            return false;
        }
        pagerAttached = true;
        return true;
    }

    void detachPager() {
        pagerAttached = false;
    }

    /** Whether a pager is there to answer requests; without one, a gfn paged out stays out. */
    boolean pagerAttached() {
        return pagerAttached;
    }

    /**
     * A vCPU touched a paged-out gfn: wait for a free slot, put the request, notify the pager, and wait for the
     * response. Returns when answered; the caller retries its access (the page may still be absent).
     */
    void faultAndWait(int vcpu, long gfn, int p2mt, LivenessCheck dying) throws InterruptedException {
        lock.lock();
        try {
            while (front.freeRequests() <= 0) {
                waitOrDie(dying);
            }
            answered[vcpu] = false;
            front.putRequest(VmEvent.pagingRequest(vcpu, gfn, p2mt, true, false));
            front.pushRequests();
        } finally {
            lock.unlock();
        }
        toPager.notifyPort();
        lock.lock();
        try {
            while (!answered[vcpu]) {
                waitOrDie(dying);
            }
            answered[vcpu] = false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A foreign mapper touched a paged-out gfn: request it without pausing anyone, if a slot is free. The mapper
     * gets ENOENT and retries, as libxenforeignmemory callers do.
     */
    void foreignRequest(long gfn, int p2mt) {
        boolean put = false;
        lock.lock();
        try {
            if (!disabled && front.freeRequests() > answered.length) {
                front.putRequest(VmEvent.pagingRequest(0, gfn, p2mt, false, true));
                front.pushRequests();
                put = true;
            }
        } finally {
            lock.unlock();
        }
        if (put) {
            toPager.notifyPort();
        }
    }

    /**
     * A paged-out gfn was given back ({@code decrease_reservation}): tell the pager with a drop request, as
     * {@code p2m_mem_paging_drop_page} does — best effort, like Xen's ("we allow no ring in this unique case"):
     * without a free slot or a pager, nothing is sent.
     */
    void dropRequest(long gfn, int p2mt) {
        boolean put = false;
        lock.lock();
        try {
            if (!disabled && pagerAttached && front.freeRequests() > answered.length) {
                front.putRequest(VmEvent.pagingDropRequest(0, gfn, p2mt));
                front.pushRequests();
                put = true;
            }
        } finally {
            lock.unlock();
        }
        if (put) {
            toPager.notifyPort();
        }
    }

    private void waitOrDie(LivenessCheck dying) throws InterruptedException {
        dying.check();
        changed.await(100, TimeUnit.MILLISECONDS);
        dying.check();
    }

    /** The pager notified its event channel: consume every response ({@code vm_event_resume}). */
    void onPagerNotify() {
        lock.lock();
        try {
            while (front.unconsumedResponses() > 0) {
                VmEvent rsp = front.takeResponse();
                if (rsp.version() != VmEventLayout.INTERFACE_VERSION) {
                    droppedResponses++;
                    LOG.log(Level.WARNING, "{0}: dropped vm_event response with version {1} (expected {2})",
                            domainName, rsp.version(), VmEventLayout.INTERFACE_VERSION);
                    continue;
                }
                if (rsp.reason() != VmEventLayout.REASON_MEM_PAGING) {
                    droppedResponses++;
                    continue;
                }
                if (rsp.vcpuPaused() && rsp.vcpuId() >= 0 && rsp.vcpuId() < answered.length) {
                    answered[rsp.vcpuId()] = true;
                }
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    long droppedResponses() {
        lock.lock();
        try {
            return droppedResponses;
        } finally {
            lock.unlock();
        }
    }

    void disable() {
        lock.lock();
        try {
            disabled = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        toPager.close();
    }

    /** Wakes waiters so they re-check whether their domain died. */
    void wakeAll() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** A liveness check that throws when the waiting vCPU must give up (its domain is being destroyed). */
    @FunctionalInterface
    interface LivenessCheck {
        void check() throws InterruptedException;
    }
}
