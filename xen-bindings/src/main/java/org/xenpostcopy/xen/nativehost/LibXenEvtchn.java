package org.xenpostcopy.xen.nativehost;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/** libxenevtchn ({@code xenevtchn.h}): interdomain event channels. Ports are {@code uint32_t}. */
public interface LibXenEvtchn extends Library {
    static LibXenEvtchn load() {
        return Native.load("xenevtchn", LibXenEvtchn.class);
    }

    Handles.Evtchn xenevtchn_open(Pointer logger, int flags);

    int xenevtchn_close(Handles.Evtchn xce);

    int xenevtchn_fd(Handles.Evtchn xce);

    int xenevtchn_notify(Handles.Evtchn xce, int port);

    /** Returns the local port, or -1 with errno. */
    int xenevtchn_bind_interdomain(Handles.Evtchn xce, int domid, int remotePort);

    int xenevtchn_unbind(Handles.Evtchn xce, int port);

    /** The next pending port (left masked), or -1. */
    int xenevtchn_pending(Handles.Evtchn xce);

    int xenevtchn_unmask(Handles.Evtchn xce, int port);
}
