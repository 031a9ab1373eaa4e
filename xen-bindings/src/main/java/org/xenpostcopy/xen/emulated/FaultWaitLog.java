package org.xenpostcopy.xen.emulated;

import java.util.Arrays;

/**
 * Each time a vCPU of one domain waited on a paged-out gfn, in nanoseconds: what the guest lived through, which a
 * migration's report gives as its fault latency. Bounded: past {@link #CAPACITY} samples, new ones replace old
 * ones at random positions (a uniform reservoir), so percentiles stay honest on a long run and memory stays fixed.
 */
final class FaultWaitLog {
    static final int CAPACITY = 1 << 20;

    private long[] samples = new long[1024];
    private int count;
    private long seen;
    private long rnd = 0x9E3779B97F4A7C15L;

    synchronized void record(long nanos) {
        seen++;
        if (count < CAPACITY) {
            if (count == samples.length) {
                samples = Arrays.copyOf(samples, Math.min(CAPACITY, count * 2));
            }
            samples[count++] = nanos;
            return;
        }
        long slot = Long.remainderUnsigned(next(), seen);
        if (slot < CAPACITY) {
            samples[(int) slot] = nanos;
        }
    }

    /** xorshift64: the reservoir needs no cryptographic quality, only a spread that does not follow the samples. */
    private long next() {
        rnd ^= rnd << 13;
        rnd ^= rnd >>> 7;
        rnd ^= rnd << 17;
        return rnd;
    }

    synchronized long[] snapshot() {
        return Arrays.copyOf(samples, count);
    }
}
