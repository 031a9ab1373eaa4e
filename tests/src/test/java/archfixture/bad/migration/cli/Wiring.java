package archfixture.bad.migration.cli;

import archfixture.bad.xen.emulated.OwnLibC;

/** Allowed by rule (d): the cli wires a concrete host. */
public final class Wiring {
    public static Class<?> host() {
        return OwnLibC.class;
    }
}
