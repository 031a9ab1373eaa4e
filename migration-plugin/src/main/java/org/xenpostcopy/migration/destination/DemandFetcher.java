package org.xenpostcopy.migration.destination;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.link.LinkShaper;
import org.xenpostcopy.migration.peer.Fetched;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.peer.SourcePeer;

/**
 * The urgent path: its own channel to the source and its own thread, so a demand request never queues behind
 * pushed pages. Faults that arrive while a fetch is in flight go together in the next one. Gfns wait in a
 * primitive queue: a fault costs no allocation here.
 *
 * <p>The channel lives in generations. A channel that fails (a reset, no reply within the stall limit, a source
 * that cannot be reached) is reported as a cut and not reopened by the fetcher itself: the source leads every
 * recovery, and only its {@link #reconnect} opens the next generation — so both ends agree on which pages are
 * still owed before faults are asked again. Queued gfns stay queued across a cut. An idle channel is pinged with
 * an empty request, so a dead source is found even when no vCPU faults.
 */
final class DemandFetcher {
    /** The most gfns one request carries (the protocol's batch limit). */
    static final int MAX_BATCH = 1024;

    private final Supplier<SourcePeer> connect;
    private final PageBatch.PageVisitor arrivals;
    private final LinkShaper link;
    private final Consumer<String> cut;
    private final Consumer<String> failed;
    private final LongConsumer granted;
    private final Consumer<String> takenBack;
    private final long pingNanos;
    private final Thread thread;
    private final Object lock = new Object();
    private long[] queue = new long[64];
    private int queued;
    /** Bumped by each {@link #reconnect}; the thread serves one generation's channel at a time. */
    private long generation;
    private volatile SourcePeer current;
    /** Set while the channel is closed on purpose (the link is cut, a recovery is under way): no cut to report. */
    private volatile boolean suspended;
    /** When the fetch in flight was sent (0: none): a reply that trickles in for longer than the stall is a cut. */
    private volatile long inFlightSince;
    private volatile boolean stop;

    /**
     * @param connect  opens the channel (on the fetcher's own thread: a slow connect holds up nothing else)
     * @param arrivals where fetched pages go
     * @param cut      told, in one sentence, when a channel fails in a way a reconnect can mend
     * @param failed   told, in one sentence, when fetching fails in a way no reconnect mends (a page that cannot be
     *                 loaded, a source that no longer knows the session)
     * @param pingMs   how long the channel may stay idle before an empty request checks it
     * @param granted  told, with the {@code System.nanoTime()} a request was sent at, when the source's reply lets
     *                 the guest run on (the lease runs from then)
     * @param takenBack told, in one sentence, when the source answers that it took the guest back
     */
    DemandFetcher(String name, Supplier<SourcePeer> connect, PageBatch.PageVisitor arrivals, LinkShaper link,
                  Consumer<String> cut, Consumer<String> failed, long pingMs, LongConsumer granted,
                  Consumer<String> takenBack) {
        this.granted = granted;
        this.takenBack = takenBack;
        this.connect = connect;
        this.arrivals = arrivals;
        this.link = link;
        this.cut = cut;
        this.failed = failed;
        this.pingNanos = TimeUnit.MILLISECONDS.toNanos(pingMs);
        this.thread = new Thread(this::run, "demand-fetcher-" + name);
        thread.setDaemon(true);
    }

    void start() {
        synchronized (lock) {
            generation = 1;
        }
        thread.start();
    }

    /** Asks for {@code gfn} in the next request (from the pager loop's thread). */
    void request(long gfn) {
        synchronized (lock) {
            enqueue(gfn);
            lock.notifyAll();
        }
    }

    private void enqueue(long gfn) {
        if (queued == queue.length) {
            long[] bigger = new long[queue.length * 2];
            System.arraycopy(queue, 0, bigger, 0, queued);
            queue = bigger;
        }
        queue[queued++] = gfn;
    }

    /**
     * Closes the channel now (the link is cut, or a recovery begins); queued gfns wait for the next
     * {@link #reconnect}, and the failure of the closed channel is not reported as a new cut.
     */
    void suspend() {
        synchronized (lock) {
            // A new generation, not served until reconnect: the thread stops taking gfns from the queue now, so a
            // fault queued from here on waits for the next channel instead of going out on a dying one.
            suspended = true;
            generation++;
            lock.notifyAll();
        }
        closeChannel();
    }

    private void closeChannel() {
        SourcePeer c = current;
        if (c != null) {
            c.close();      // a fetch blocked on it fails at once
        }
    }

    /**
     * Opens a new channel and asks again for {@code waiting}: every gfn a fault still waits for, since a request or
     * its reply may have been lost with the old channel, and a page the source had named "already sent" may have
     * been lost on the push connection.
     */
    void reconnect(long[] waiting) {
        synchronized (lock) {
            generation++;
            // Added to what is queued, not in place of it: a fault queued since {@code waiting} was taken must
            // not be dropped; a gfn asked twice is answered "already sent" the second time.
            for (long g : waiting) {
                enqueue(g);
            }
            suspended = false;
            lock.notifyAll();
        }
        // Nothing to close: suspend() closed the old channel, and its thread leaves it at the generation change.
    }

    /** Nanoseconds the fetch in flight has waited for its reply at {@code now}, or 0 with none in flight. */
    long inFlightNanos(long now) {
        long since = inFlightSince;
        return since == 0 ? 0 : now - since;
    }

    private void run() {
        long served = 0;
        try {
            while (true) {
                long gen = awaitGeneration(served);
                if (gen < 0) {
                    return;
                }
                served = gen;
                serveOneGeneration(gen);
            }
        } catch (InterruptedException e) {
            // stopping
        }
    }

    private void serveOneGeneration(long gen) throws InterruptedException {
        SourcePeer source;
        try {
            source = connect.get();
        } catch (MigrationException e) {
            reportCut(gen, e.getMessage());
            return;
        }
        current = source;
        try (source) {
            long[] gfns = new long[MAX_BATCH];
            while (true) {
                int n = take(gfns, gen);
                if (n < 0) {
                    return;
                }
                if (n > 0) {
                    link.transmit(8L * n, true);
                    link.propagate();
                }
                long sentAt = System.nanoTime();
                inFlightSince = sentAt;
                Fetched reply = source.fetch(gfns, n);
                inFlightSince = 0;
                if (reply.granted()) {
                    granted.accept(sentAt);
                }
                reply.pages().forEach(arrivals);
                // Pages named in alreadySent are on the push connection; they are answered when they land.
            }
        } catch (PeerException e) {
            inFlightSince = 0;
            if (e.error() == RemoteError.CONNECTION) {
                reportCut(gen, e.getMessage());
            } else if (e.error() == RemoteError.TAKEN_BACK) {
                if (!stop) {
                    takenBack.accept(e.getMessage());
                }
            } else {
                reportFailure(e);
            }
        } catch (RuntimeException e) {
            // Loading a fetched page failed: no reconnect mends that; completion reports why.
            inFlightSince = 0;
            reportFailure(e);
        } finally {
            current = null;
        }
    }

    private void reportCut(long gen, String why) {
        synchronized (lock) {
            if (stop || suspended || gen != generation) {
                return;    // closed on purpose: stopping, suspended, or a newer generation takes over
            }
        }
        cut.accept(why);
    }

    private void reportFailure(RuntimeException e) {
        if (!stop) {
            failed.accept(e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /** Waits for a generation newer than {@code served}; -1 when stopping. */
    private long awaitGeneration(long served) throws InterruptedException {
        synchronized (lock) {
            while (!stop && (suspended || generation <= served)) {
                lock.wait(1000);
            }
            return stop ? -1 : generation;
        }
    }

    /**
     * Takes up to {@code out.length} queued gfns, waiting for the first; 0 when the channel has been idle for a
     * ping interval (an empty request goes out), -1 when stopping or a newer generation has begun.
     */
    private int take(long[] out, long gen) throws InterruptedException {
        long deadline = System.nanoTime() + pingNanos;
        synchronized (lock) {
            while (queued == 0) {
                if (stop || generation != gen) {
                    return -1;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return 0;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
            }
            if (stop || generation != gen) {
                return -1;
            }
            int n = Math.min(queued, out.length);
            System.arraycopy(queue, 0, out, 0, n);
            System.arraycopy(queue, n, queue, 0, queued - n);
            queued -= n;
            return n;
        }
    }

    void stop() {
        synchronized (lock) {
            stop = true;
            lock.notifyAll();
        }
        closeChannel();
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
