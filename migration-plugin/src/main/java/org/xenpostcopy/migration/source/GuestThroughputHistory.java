package org.xenpostcopy.migration.source;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.GuestProbe;

/**
 * What each guest on this host has done lately: its count of completed operations ({@link GuestProbe#operations}),
 * sampled every {@value #PERIOD_MS} ms over the last {@value #KEEP_MS} ms.
 *
 * <p>A migration's baseline — the guest's throughput before it was asked to move, which its degradation is
 * measured against — is then the rate over the window <em>before</em> the request, read at once, rather than
 * measured in a window spent waiting after it: an evacuation's link idled for that second at its start. A guest
 * not running for a whole window yet (just created, arrived or unpaused) has the rest of it waited for
 * ({@link #windowStart}).
 */
public final class GuestThroughputHistory implements AutoCloseable {
    private static final Logger LOG = System.getLogger(GuestThroughputHistory.class.getName());
    static final long PERIOD_MS = 100;
    static final long KEEP_MS = 10_000;
    /** A guest whose last sample is older than this is not being sampled: its history is not used. */
    static final long STALE_MS = 1_000;

    /** The guest had completed {@code operations} at {@code nanos} ({@link System#nanoTime()}). */
    public record Sample(long nanos, long operations) {
    }

    private final GuestProbe probe;
    private final DomainControl domains;
    /** Each guest's samples, oldest first; a deque is only touched under its own lock. */
    private final Map<DomainId, ArrayDeque<Sample>> samples = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;

    GuestThroughputHistory(GuestProbe probe, DomainControl domains, ScheduledExecutorService timer) {
        this.probe = probe;
        this.domains = domains;
        this.timer = timer;
    }

    /** Starts sampling every guest of {@code domains} on a daemon thread of its own, until {@link #close}. */
    public static GuestThroughputHistory start(GuestProbe probe, DomainControl domains) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "guest-throughput-history");
            t.setDaemon(true);
            return t;
        });
        GuestThroughputHistory h = new GuestThroughputHistory(probe, domains, timer);
        timer.scheduleAtFixedRate(() -> {
            try {
                h.sample(System.nanoTime());
            } catch (RuntimeException e) {
                // A host that cannot list its domains now may later; a thrown exception would end the sampling
                // (and a history that stops is not used: windowStart's staleness check).
                LOG.log(Level.DEBUG, "guest throughput sample skipped: {0}", e.toString());
            }
        }, 0, PERIOD_MS, TimeUnit.MILLISECONDS);
        return h;
    }

    /**
     * Takes one sample of every running guest (dom0 has no guest program) and forgets the guests that are gone or
     * not running: a window covers only running time. A paused domain's count also jumps when it starts to run —
     * an arrived guest's to what it carried over, a failed-back copy's to its checkpoint's — which a window spanning
     * the jump would count as operations. Called on one thread only (the timer's, or a test's).
     */
    void sample(long nowNanos) {
        Set<DomainId> running = new HashSet<>();
        for (DomainInfo info : domains.list()) {
            DomainId d = info.id();
            if (d.value() == 0 || info.state() != DomainInfo.State.RUNNING) {
                continue;
            }
            long ops;
            try {
                ops = probe.operations(d);
            } catch (RuntimeException gone) {
                continue;   // destroyed between the list and the read
            }
            running.add(d);
            ArrayDeque<Sample> q = samples.computeIfAbsent(d, k -> new ArrayDeque<>());
            synchronized (q) {
                if (!q.isEmpty() && q.peekLast().operations() > ops) {
                    q.clear();      // a count that went back is another guest under a reused id
                }
                q.addLast(new Sample(nowNanos, ops));
                long keep = TimeUnit.MILLISECONDS.toNanos(KEEP_MS);
                while (q.size() > 1 && nowNanos - q.peekFirst().nanos() > keep) {
                    q.removeFirst();
                }
            }
        }
        samples.keySet().retainAll(running);
    }

    /**
     * Where a window of {@code windowNanos} ending now may start for {@code domain}: the latest sample at least
     * that old, else (sampled for less than a window) the oldest, whose window ends later. Empty if it is not
     * sampled, or not lately ({@link #STALE_MS}: the sampling stopped, and the samples left may be of any age).
     */
    public Optional<Sample> windowStart(DomainId domain, long windowNanos, long nowNanos) {
        ArrayDeque<Sample> q = samples.get(domain);
        if (q == null) {
            return Optional.empty();
        }
        synchronized (q) {
            if (q.isEmpty() || nowNanos - q.peekLast().nanos() > TimeUnit.MILLISECONDS.toNanos(STALE_MS)) {
                return Optional.empty();
            }
            Sample start = null;
            for (Sample s : q) {
                if (start != null && nowNanos - s.nanos() < windowNanos) {
                    break;
                }
                start = s;
            }
            return Optional.ofNullable(start);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
