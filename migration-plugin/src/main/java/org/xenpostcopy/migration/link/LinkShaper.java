package org.xenpostcopy.migration.link;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A sender's view of a shaped link: a bandwidth cap shared by every connection of one migration, and a one-way
 * latency. Urgent sends (demand pages) go to the head of the sender's queue — they do not wait for bulk bytes
 * reserved before them, only for their own transmission time — and push the bulk stream back by as much, which
 * is what a priority queue in front of one NIC does. Latency is added to each demand request and reply; the push
 * stream is pipelined, so latency delays it but does not limit its rate.
 */
public final class LinkShaper {
    private final long bitsPerSecond;
    private final long latencyNanos;
    private long busyUntil;

    public LinkShaper(long mbps, int latencyMs) {
        if (mbps < 0 || latencyMs < 0) {
            throw new IllegalArgumentException("link rate and latency cannot be negative");
        }
        this.bitsPerSecond = mbps * 1_000_000L;
        this.latencyNanos = TimeUnit.MILLISECONDS.toNanos(latencyMs);
    }

    public static LinkShaper unshaped() {
        return new LinkShaper(0, 0);
    }

    /**
     * The largest push batch that leaves the link within about a millisecond, so urgent pages never queue long
     * behind a bulk batch; {@code preferred} on an unshaped link.
     */
    public int batchPages(int preferred, int pageBytes) {
        if (bitsPerSecond == 0) {
            return preferred;
        }
        long perMs = bitsPerSecond / 8 / 1000 / pageBytes;
        return (int) Math.max(4, Math.min(preferred, perMs));
    }

    public boolean shaped() {
        return bitsPerSecond > 0 || latencyNanos > 0;
    }

    /** Waits until {@code bytes} could have left on the link. */
    public void transmit(long bytes, boolean urgent) {
        if (bitsPerSecond == 0) {
            return;
        }
        long duration = bytes * 8 * 1_000_000_000L / bitsPerSecond;
        long done;
        synchronized (this) {
            long now = System.nanoTime();
            if (urgent) {
                done = now + duration;
                busyUntil = Math.max(busyUntil, now) + duration;
            } else {
                long start = Math.max(busyUntil, now);
                done = start + duration;
                busyUntil = done;
            }
        }
        waitUntil(done);
    }

    /** The one-way latency, paid by a demand request or reply. */
    public void propagate() {
        if (latencyNanos > 0) {
            waitUntil(System.nanoTime() + latencyNanos);
        }
    }

    private static void waitUntil(long deadline) {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
    }
}
