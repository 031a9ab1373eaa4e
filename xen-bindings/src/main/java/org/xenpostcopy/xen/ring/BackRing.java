package org.xenpostcopy.xen.ring;

/**
 * The pager's end of the vm_event ring: it consumes requests and produces responses into the same slots.
 * Not thread-safe: one pager thread owns it.
 */
public final class BackRing {
    private final SharedRing shared;
    private int reqCons;
    private int rspProdPvt;

    /** {@code BACK_RING_INIT} on a ring already set up by {@link SharedRing#init}. */
    public BackRing(SharedRing shared) {
        this.shared = shared;
        this.reqCons = shared.reqProd();
        this.rspProdPvt = shared.rspProd();
    }

    /**
     * {@code RING_HAS_UNCONSUMED_REQUESTS}: requests published and not yet taken, bounded by the slots free
     * for responses.
     */
    public int unconsumedRequests() {
        int req = shared.reqProd() - reqCons;
        int rsp = VmEventLayout.RING_SIZE - (reqCons - rspProdPvt);
        return Math.min(req, rsp);
    }

    public VmEvent takeRequest() {
        if (unconsumedRequests() <= 0) {
            throw new IllegalStateException("no request on the vm_event ring");
        }
        VmEvent req = shared.read(reqCons);
        reqCons++;
        return req;
    }

    /** Writes a response into the next response slot; visible at {@link #pushResponses}. */
    public void putResponse(VmEvent response) {
        if (rspProdPvt == reqCons) {
            throw new IllegalStateException("more responses than requests taken");
        }
        shared.write(rspProdPvt, response);
        rspProdPvt++;
    }

    /** {@code RING_PUSH_RESPONSES}; returns true if any response was published since the last push. */
    public boolean pushResponses() {
        boolean any = shared.rspProd() != rspProdPvt;
        shared.setRspProd(rspProdPvt);
        return any;
    }

    /** {@code RING_FINAL_CHECK_FOR_REQUESTS}: re-arms {@code req_event} and reports whether more arrived. */
    public boolean finalCheckForRequests() {
        if (unconsumedRequests() > 0) {
            return true;
        }
        shared.setReqEvent(reqCons + 1);
        return unconsumedRequests() > 0;
    }

    /** Responses put but not yet answered by a request slot: the ring is empty when this is 0 and nothing is pending. */
    public int inFlight() {
        return reqCons - rspProdPvt;
    }
}
