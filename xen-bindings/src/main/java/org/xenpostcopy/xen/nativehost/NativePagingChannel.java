package org.xenpostcopy.xen.nativehost;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.PagingChannel;
import org.xenpostcopy.xen.PagingRequest;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.XenException;

/** Opens a paging session per domain, each with an event-channel handle of its own, closed with the session. */
final class NativePagingChannel implements PagingChannel {
    private final LibXenCtrl xc;
    private final Handles.XcInterface xch;
    private final LibXenEvtchn ev;
    private final LibC libc;

    NativePagingChannel(LibXenCtrl xc, Handles.XcInterface xch, LibXenEvtchn ev, LibC libc) {
        this.xc = xc;
        this.xch = xch;
        this.ev = ev;
        this.libc = libc;
    }

    @Override
    public PagingSession enable(DomainId domain) {
        Handles.Evtchn xce = ev.xenevtchn_open(null, 0);
        if (xce == null) {
            throw XenErrors.failure("xenevtchn_open", domain);
        }
        try {
            return new ClosingSession(new NativePagingSession(xc, xch, ev, xce, domain, libc), () -> ev.xenevtchn_close(xce));
        } catch (XenException e) {
            ev.xenevtchn_close(xce);
            throw e;
        }
    }

    /** A paging session that also closes its event-channel handle. */
    private record ClosingSession(NativePagingSession inner, Runnable onClose) implements PagingSession {
        @Override
        public DomainId domain() {
            return inner.domain();
        }

        @Override
        public void nominate(Gfn gfn) {
            inner.nominate(gfn);
        }

        @Override
        public void evict(Gfn gfn) {
            inner.evict(gfn);
        }

        @Override
        public void load(Gfn gfn, ByteBuffer src) {
            inner.load(gfn, src);
        }

        @Override
        public boolean awaitEvent(long timeout, TimeUnit unit) {
            return inner.awaitEvent(timeout, unit);
        }

        @Override
        public int takeRequests(List<PagingRequest> out) {
            return inner.takeRequests(out);
        }

        @Override
        public void respond(PagingRequest request) {
            inner.respond(request);
        }

        @Override
        public void pushResponses() {
            inner.pushResponses();
        }

        @Override
        public void close() {
            inner.close();
            onClose.run();
        }
    }
}
