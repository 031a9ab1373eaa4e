package org.xenpostcopy.migration.link;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A sender's view of a shaped link: an Ethernet of a given rate shared by every connection of one migration, and a
 * one-way latency. The rate is the wire's: each send pays for the TCP/IP and Ethernet framing of its segments too,
 * so a 1000 Mbit/s link carries at most 941 Mbit/s of what the sockets write, as a gigabit LAN does. Urgent sends (demand pages) go to the head of the sender's queue — they do not wait for bulk bytes
 * reserved before them, only for their own transmission time — and push the bulk stream back by as much, which
 * is what a priority queue in front of one NIC does. Latency is added to each demand request and reply; the push
 * stream is pipelined, so latency delays it but does not limit its rate.
 */
public final class LinkShaper {
    /**
     * How far the bulk schedule may lag the clock and the lag still count as link time in use: the NIC's transmit
     * queue, which keeps the wire busy while the sender reads and frames its next batch (Linux's tbf needs a burst
     * for the same reason). Without it every gap between two batches (pages read, a frame written, a timer that
     * wakes late) was link time lost, and an idle guest's push reached 86 % of a 1000 Mbit/s link. A millisecond
     * holds about one bulk batch ({@link #batchPages}), so a sender never gets more than a batch ahead of the link.
     */
    static final long QUEUE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** What one full TCP segment carries on a 1500-byte MTU: less 20 bytes of IP and 32 of TCP with timestamps. */
    static final int SEGMENT_PAYLOAD = 1448;
    /**
     * What a segment costs the wire besides its payload: TCP (32) and IP (20) headers, Ethernet's header (14) and
     * frame check (4), the preamble (8) and the gap between frames (12).
     */
    static final int SEGMENT_OVERHEAD = 90;

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
        long perMs = bitsPerSecond / 8 / 1000 / onTheWire(pageBytes);
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
        waitUntil(reserve(bytes, urgent, System.nanoTime()));
    }

    /**
     * Books {@code bytes} on the link at {@code now} and returns when they will have left. Urgent bytes start at
     * once and push the bulk schedule back; bulk bytes start where the schedule is free, which may lie up to
     * {@link #QUEUE_NANOS} in the past: the link was kept busy from its queue while the sender got them ready.
     */
    synchronized long reserve(long bytes, boolean urgent, long now) {
        long duration = onTheWire(bytes) * 8 * 1_000_000_000L / bitsPerSecond;
        if (urgent) {
            busyUntil = Math.max(busyUntil, now) + duration;
            return now + duration;
        }
        busyUntil = Math.max(busyUntil, now - QUEUE_NANOS) + duration;
        return busyUntil;
    }

    /** {@code payload} bytes written to a socket, framed as they cross an Ethernet: at least one segment. */
    static long onTheWire(long payload) {
        long segments = Math.max(1, (payload + SEGMENT_PAYLOAD - 1) / SEGMENT_PAYLOAD);
        return payload + segments * SEGMENT_OVERHEAD;
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
