package org.xenpostcopy.xen.nativehost;

import com.sun.jna.Library;
import com.sun.jna.Native;

/** libxenguest 4.17 ({@code xenguest.h}): only what undoing a guest's suspend needs. */
public interface LibXenGuest extends Library {
    static LibXenGuest load() {
        return Native.load("xenguest", LibXenGuest.class);
    }

    /**
     * Resumes a domain that suspended itself. {@code fast = 1}: the suspend is reported to the guest as
     * cancelled (its hypercall returns 1), so it carries on without rebuilding its devices.
     */
    int xc_domain_resume(Handles.XcInterface xch, int domid, int fast);
}
