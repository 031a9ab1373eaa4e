package archfixture.bad.xen;

import archfixture.bad.migration.engine.Engine;

/** Breaks rule (a): a bindings class that knows the engine above it. */
public final class LeaksUpward {
    public static Engine engine() {
        return new Engine();
    }
}
