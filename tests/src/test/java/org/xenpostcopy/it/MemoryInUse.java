package org.xenpostcopy.it;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

/**
 * Heap and direct buffers in use in this JVM, each after a collection: what tests of a daemon's memory under abuse
 * compare before and after.
 *
 * @param heap   heap bytes in use
 * @param direct direct buffer bytes in use
 */
public record MemoryInUse(long heap, long direct) {
    /** Collects, then measures. */
    public static MemoryInUse now() {
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(p -> p.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
        return new MemoryInUse(heap, direct);
    }

    /** What is in use now beyond {@code before}, of each. */
    public MemoryInUse minus(MemoryInUse before) {
        return new MemoryInUse(heap - before.heap, direct - before.direct);
    }
}
