package org.xenpostcopy.xen.emulated.guest;

import java.util.ArrayList;
import java.util.List;

/**
 * The guest's console for memory checks: every read that found a page other than the one it wrote is recorded
 * here (the first 100 in detail). A host-side view, like reading a guest's serial console.
 */
public final class OracleLog {
    private static final int DETAIL_LIMIT = 100;
    private long mismatches;
    private long checks;
    private final List<String> details = new ArrayList<>();

    synchronized void checked() {
        checks++;
    }

    synchronized void mismatch(String what) {
        mismatches++;
        if (details.size() < DETAIL_LIMIT) {
            details.add(what);
        }
    }

    public synchronized long mismatches() {
        return mismatches;
    }

    public synchronized long checks() {
        return checks;
    }

    public synchronized List<String> details() {
        return List.copyOf(details);
    }
}
