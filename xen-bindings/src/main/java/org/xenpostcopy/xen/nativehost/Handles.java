package org.xenpostcopy.xen.nativehost;

import com.sun.jna.Pointer;
import com.sun.jna.PointerType;

/** Opaque C handles, each its own type so one cannot be passed where another is expected. */
final class Handles {
    private Handles() {
    }

    /** {@code xc_interface *} */
    public static final class XcInterface extends PointerType {
        public XcInterface() {
        }

        public XcInterface(Pointer p) {
            super(p);
        }
    }

    /** {@code xenevtchn_handle *} */
    public static final class Evtchn extends PointerType {
        public Evtchn() {
        }
    }

    /** {@code xenforeignmemory_handle *} */
    public static final class ForeignMemory extends PointerType {
        public ForeignMemory() {
        }
    }

    /** {@code struct xs_handle *} */
    public static final class XsHandle extends PointerType {
        public XsHandle() {
        }
    }
}
