package org.xenpostcopy.xen.nativehost;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.XenException;

/** The one checker every native return code passes through: errno becomes a XenException naming the call. */
final class XenErrors {
    private XenErrors() {
    }

    /** Throws unless {@code rc >= 0}; returns {@code rc}. */
    static int check(int rc, String call, Object what) {
        if (rc < 0) {
            throw failure(call, what);
        }
        return rc;
    }

    static Pointer checkPointer(Pointer p, String call, Object what) {
        if (p == null) {
            throw failure(call, what);
        }
        return p;
    }

    static void checkBool(byte ok, String call, Object what) {
        if (ok == 0) {
            throw failure(call, what);
        }
    }

    static XenException failure(String call, Object what) {
        int errno = Native.getLastError();
        Errno e = Errno.fromCode(errno);
        return new XenException(call, e, (e == null ? "errno " + errno + ", " : "") + what);
    }
}
