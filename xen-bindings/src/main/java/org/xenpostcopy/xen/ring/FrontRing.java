package org.xenpostcopy.xen.ring;

/**
 * The hypervisor's end of the vm_event ring (Xen is the front end): it produces requests and consumes
 * responses. Not thread-safe; the emulated hypervisor guards it with its own lock.
 */
public final class FrontRing {
    private final SharedRing shared;
    private int reqProdPvt;
    private int rspCons;

    public FrontRing(SharedRing shared) {
        this.shared = shared;
        this.reqProdPvt = shared.reqProd();
        this.rspCons = shared.rspProd();
    }

    /** {@code RING_FREE_REQUESTS}: slots not held by an unanswered request or an unconsumed response. */
    public int freeRequests() {
        return VmEventLayout.RING_SIZE - (reqProdPvt - rspCons);
    }

    /** Writes a request into the next slot; it becomes visible at {@link #pushRequests}. */
    public void putRequest(VmEvent request) {
        if (freeRequests() <= 0) {
            throw new IllegalStateException("vm_event ring full");
        }
        shared.write(reqProdPvt, request);
        reqProdPvt++;
    }

    /** {@code RING_PUSH_REQUESTS}: publishes the requests put so far. */
    public void pushRequests() {
        shared.setReqProd(reqProdPvt);
    }

    /** {@code RING_HAS_UNCONSUMED_RESPONSES}. */
    public int unconsumedResponses() {
        return shared.rspProd() - rspCons;
    }

    /** Takes the next response; call only while {@link #unconsumedResponses} is positive. */
    public VmEvent takeResponse() {
        if (unconsumedResponses() <= 0) {
            throw new IllegalStateException("no response on the vm_event ring");
        }
        VmEvent rsp = shared.read(rspCons);
        rspCons++;
        shared.setRspEvent(rspCons + 1);
        return rsp;
    }
}
