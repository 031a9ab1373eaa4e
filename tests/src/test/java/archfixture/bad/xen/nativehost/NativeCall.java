package archfixture.bad.xen.nativehost;

import com.sun.jna.Pointer;

/** Allowed by rule (b): JNA inside xen.nativehost. */
public final class NativeCall {
    public static long address(Pointer p) {
        return Pointer.nativeValue(p);
    }
}
