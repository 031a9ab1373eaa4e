package org.xenpostcopy.xen.offheap;

import java.util.Iterator;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/** The lookup behind {@link OffHeapAllocator#system()}: done once, on first use, its outcome (failure too) kept. */
final class SystemAllocator {
    private static final OffHeapAllocator FOUND;
    /** Why no provider loaded (the last one's error), or null when none is registered at all. */
    private static final Throwable WHY;

    static {
        OffHeapAllocator found = null;
        Throwable why = null;
        Iterator<OffHeapAllocator> it =
                ServiceLoader.load(OffHeapAllocator.class, OffHeapAllocator.class.getClassLoader()).iterator();
        while (found == null && it.hasNext()) {
            try {
                found = it.next();
            } catch (ServiceConfigurationError e) {   // a provider that cannot load here (no JNA): try the next
                why = e;
            }
        }
        FOUND = found;
        WHY = why;
    }

    private SystemAllocator() {
    }

    static OffHeapAllocator get() {
        if (FOUND == null) {
            throw new IllegalStateException("no off-heap allocator loads here: guest memory needs one, and "
                    + "xen-bindings registers the native host's anonymous mappings, which need JNA", WHY);
        }
        return FOUND;
    }
}
