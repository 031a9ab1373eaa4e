package org.xenpostcopy.migration.bench.paper;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Samples, every {@link #PERIOD_MS} ms on its own thread, the guest's completed operations and the bytes the
 * relays have carried: the time series behind Fig. 9–10 and the completion instant of Fig. 7–8's job.
 */
final class GuestTrace implements AutoCloseable {
    static final int PERIOD_MS = 100;

    /** One sample: seconds since the trace started, the guest's operations, the bytes on the wire so far. */
    record Sample(double seconds, long ops, long wireBytes) {
    }

    private final HostPair hosts;
    private final long start = System.nanoTime();
    private final List<Sample> samples = new ArrayList<>();
    private final Thread thread;
    private volatile boolean stop;

    GuestTrace(HostPair hosts) {
        this.hosts = hosts;
        sample();
        this.thread = new Thread(this::loop, "paper-trace");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        long next = System.nanoTime();
        while (!stop) {
            next += TimeUnit.MILLISECONDS.toNanos(PERIOD_MS);
            long wait;
            while (!stop && (wait = next - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            sample();
        }
    }

    private void sample() {
        long ops = hosts.guestOps();
        long bytes = hosts.wireBytes();
        double t = seconds();
        synchronized (samples) {
            samples.add(new Sample(t, ops, bytes));
        }
    }

    /** Seconds since the trace started, on its clock. */
    double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    List<Sample> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    /**
     * When the guest's operation count first reached {@code ops}, interpolated between the two samples around it;
     * NaN if it has not yet.
     */
    double reached(long ops) {
        List<Sample> s = samples();
        for (int i = 0; i < s.size(); i++) {
            if (s.get(i).ops() >= ops) {
                if (i == 0) {
                    return s.get(0).seconds();
                }
                Sample a = s.get(i - 1);
                Sample b = s.get(i);
                double f = (double) (ops - a.ops()) / Math.max(1, b.ops() - a.ops());
                return a.seconds() + f * (b.seconds() - a.seconds());
            }
        }
        return Double.NaN;
    }

    /** Stops sampling, after one last sample now, so the trace ends with everything counted up to here. */
    @Override
    public void close() {
        if (stop) {
            return;
        }
        stop = true;
        LockSupport.unpark(thread);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sample();
    }
}
