package org.xenpostcopy.xen.ring;

import java.util.List;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.P2mType;
import org.xenpostcopy.xen.PagingRequest;

/**
 * The pager's half of the paging ring in domain terms: requests out as {@link PagingRequest}s, answers in as
 * well-formed responses (version 7, reason 3, same vCPU, gfn and VCPU_PAUSED flag). Shared by the emulated and the
 * native paging sessions, which differ only in how the page is mapped and how the event channel is rung.
 */
public final class PagingRingBackEnd {
    private final BackRing back;

    /** Over a ring page the caller has just initialised ({@link SharedRing#init}) or taken over. */
    public PagingRingBackEnd(SharedRing shared) {
        this.back = new BackRing(shared);
    }

    /** Takes every request on the ring, re-arming the request event; returns how many. */
    public int takeRequests(List<PagingRequest> out) {
        int n = 0;
        do {
            while (back.unconsumedRequests() > 0) {
                VmEvent e = back.takeRequest();
                P2mType type;
                try {
                    type = P2mType.fromCode(e.p2mt());
                } catch (IllegalArgumentException unknown) {
                    type = P2mType.PAGED;
                }
                out.add(new PagingRequest(Gfn.of(e.gfn()), e.vcpuId(), e.vcpuPaused(), e.foreign(), type, e.pagingFlags()));
                n++;
            }
        } while (back.finalCheckForRequests());
        return n;
    }

    public void respond(PagingRequest request) {
        int flags = request.vcpuPaused() ? VmEventLayout.FLAG_VCPU_PAUSED : 0;
        VmEvent req = new VmEvent(VmEventLayout.INTERFACE_VERSION, flags, VmEventLayout.REASON_MEM_PAGING,
                request.vcpu(), 0, request.gfn().value(), request.p2mType().code(), 0);
        back.putResponse(VmEvent.pagingResponseTo(req));
    }

    /** Puts a response exactly as given (tests of what the hypervisor does with a malformed one). */
    public void respondRaw(VmEvent response) {
        back.putResponse(response);
    }

    /** Publishes the responses put so far; true if there were any (then ring the event channel). */
    public boolean pushResponses() {
        return back.pushResponses();
    }
}
