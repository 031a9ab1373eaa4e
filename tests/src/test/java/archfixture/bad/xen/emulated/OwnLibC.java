package archfixture.bad.xen.emulated;

import com.sun.jna.Pointer;

/** Breaks rule (b): JNA outside xen.nativehost (what AnonymousMemory once did). */
public final class OwnLibC {
    public static long address(Pointer p) {
        return Pointer.nativeValue(p);
    }
}
