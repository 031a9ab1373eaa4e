package org.xenpostcopy.migration.link;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A sender's view of a shaped link: an Ethernet of a given rate, one per migration and direction (every connection
 * of the migration sending that way shares it), and a one-way latency. The rate is the wire's: each send pays for
 * the TCP/IP and Ethernet framing of its segments too, so a 1000 Mbit/s link carries at most 941 Mbit/s of what the
 * sockets write, as a gigabit LAN does.
 *
 * <p>Urgent sends (demand pages) are served first, as a priority band in front of one NIC would: they wait only for
 * their own transmission time, not for bulk bytes booked before them, and push the bulk schedule back by as much.
 * Latency is added to each demand request and reply; the push stream is pipelined, so latency delays it but does
 * not limit its rate.
 */
public final class LinkShaper {
    /**
     * How far the schedule may lag the clock and the lag still count as link time in use: a token bucket this deep,
     * as Linux's tbf needs a burst. It lets the wire stay busy while the sender reads and frames its next batch;
     * without it every gap between two batches (pages read, a frame written, a timer that wakes late) was link time
     * lost, and an idle guest's push reached 84 % of a 1000 Mbit/s link. At 1000 Mbit/s a millisecond is about one
     * bulk batch ({@link #batchPages}).
     */
    static final long BURST_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** What one full TCP segment carries on a 1500-byte MTU: less 20 bytes of IP and 32 of TCP with timestamps. */
    static final int SEGMENT_PAYLOAD = 1448;
    /**
     * What a segment costs the wire besides its payload: TCP (32) and IP (20) headers, Ethernet's header (14) and
     * frame check (4), the preamble (8) and the gap between frames (12).
     */
    static final int SEGMENT_OVERHEAD = 90;
    /** 10 Tbit/s: more than any link, and small enough that no figure below overflows. */
    public static final long MAX_MBPS = 10_000_000L;

    private final long mbps;
    private final long latencyNanos;
    private long busyUntil = Long.MIN_VALUE / 2;

    public LinkShaper(long mbps, int latencyMs) {
        if (mbps < 0 || latencyMs < 0) {
            throw new IllegalArgumentException("link rate and latency cannot be negative");
        }
        requireCarriable(mbps);
        this.mbps = mbps;
        this.latencyNanos = TimeUnit.MILLISECONDS.toNanos(latencyMs);
    }

    /** Refuses a rate no network carries (a peer's or a user's typo), before it can overflow a schedule. */
    public static void requireCarriable(long mbps) {
        if (mbps > MAX_MBPS) {
            throw new IllegalArgumentException("a link of " + mbps + " Mbit/s is more than any network carries (at most "
                    + MAX_MBPS + ")");
        }
    }

    public static LinkShaper unshaped() {
        return new LinkShaper(0, 0);
    }

    /**
     * The largest push batch that leaves the link within about a millisecond, so urgent pages never queue long
     * behind a bulk batch; {@code preferred} on an unshaped link.
     */
    public int batchPages(int preferred, int pageBytes) {
        if (mbps == 0) {
            return preferred;
        }
        long payloadPerMs = mbps * 125 * SEGMENT_PAYLOAD / (SEGMENT_PAYLOAD + SEGMENT_OVERHEAD);
        return (int) Math.max(4, Math.min(preferred, payloadPerMs / pageBytes));
    }

    public boolean shaped() {
        return mbps > 0 || latencyNanos > 0;
    }

    /** Waits until {@code bytes} could have left on the link. */
    public void transmit(long bytes, boolean urgent) {
        if (mbps == 0) {
            return;
        }
        waitUntil(reserve(bytes, urgent, System.nanoTime()));
    }

    /**
     * Books {@code bytes} on the link at {@code now} and returns when they will have left. Both kinds draw on one
     * bucket: each booking starts where the schedule is free, which may lie up to {@link #BURST_NANOS} in the past.
     * Urgent bytes are on their way at once, whatever bulk is booked ahead of them, and push that bulk back.
     */
    synchronized long reserve(long bytes, boolean urgent, long now) {
        long duration = framed(bytes) * 8_000 / mbps;   // bits over Mbit/s, in nanoseconds
        busyUntil = Math.max(busyUntil, now - BURST_NANOS) + duration;
        return urgent ? now + duration : busyUntil;
    }

    /** {@code payload} bytes written to a socket, framed as they cross an Ethernet: at least one segment. */
    static long framed(long payload) {
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
