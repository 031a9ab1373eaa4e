package archfixture.bad.balloon;

import archfixture.bad.xen.emulated.OwnLibC;

/** Breaks rule (d): the balloon controller reaching into the emulated host (allowed by rule (a): balloon → xen). */
public final class Controller {
    public static Class<?> host() {
        return OwnLibC.class;
    }
}
