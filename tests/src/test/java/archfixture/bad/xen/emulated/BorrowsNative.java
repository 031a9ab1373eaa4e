package archfixture.bad.xen.emulated;

import archfixture.bad.xen.nativehost.NativeCall;

/** Breaks rule (f): the emulated host naming the native one. */
public final class BorrowsNative {
    public static Class<?> peer() {
        return NativeCall.class;
    }
}
