package archfixture.bad.migration.engine;

import archfixture.bad.xen.nativehost.NativeCall;

/** Breaks rule (d): the engine naming a concrete host. */
public final class Engine {
    public Class<?> host() {
        return NativeCall.class;
    }
}
