package org.xenpostcopy.migration.report;

import java.util.Arrays;

/** Records durations (nanoseconds) and reports percentiles in microseconds. Thread-safe. */
public final class LatencyRecorder {
    private long[] samples = new long[1024];
    private int count;

    public synchronized void record(long nanos) {
        if (count == samples.length) {
            samples = Arrays.copyOf(samples, count * 2);
        }
        samples[count++] = nanos;
    }

    public synchronized int count() {
        return count;
    }

    /** p50, p99 and max, in microseconds; all zero when nothing was recorded. */
    public synchronized Percentiles percentiles() {
        if (count == 0) {
            return new Percentiles(0, 0, 0);
        }
        long[] s = Arrays.copyOf(samples, count);
        Arrays.sort(s);
        return new Percentiles(us(s[rank(0.50)]), us(s[rank(0.99)]), us(s[count - 1]));
    }

    private int rank(double q) {
        return (int) Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1));
    }

    private static double us(long nanos) {
        return Math.round(nanos / 100.0) / 10.0;
    }

    /** Percentiles of samples recorded elsewhere (e.g. by the host, per fault), in nanoseconds. */
    public static Percentiles percentiles(long[] nanos) {
        LatencyRecorder r = new LatencyRecorder();
        r.samples = nanos.length == 0 ? new long[1] : nanos.clone();
        r.count = nanos.length;
        return r.percentiles();
    }

    public record Percentiles(double p50, double p99, double max) {
    }
}
