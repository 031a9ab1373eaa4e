package org.xenpostcopy.migration.destination;

import java.util.function.Consumer;
import java.util.function.Supplier;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.link.LinkShaper;
import org.xenpostcopy.migration.peer.Fetched;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.migration.peer.SourcePeer;

/**
 * The urgent path: its own channel to the source and its own thread, so a demand request never queues behind
 * pushed pages. Faults that arrive while a fetch is in flight go together in the next one. Gfns wait in a
 * primitive queue: a fault costs no allocation here.
 */
final class DemandFetcher {
    /** The most gfns one request carries (the protocol's batch limit). */
    static final int MAX_BATCH = 1024;

    private final Supplier<SourcePeer> connect;
    private final PageBatch.PageVisitor arrivals;
    private final LinkShaper link;
    private final Consumer<String> failed;
    private final Thread thread;
    private final Object lock = new Object();
    private long[] queue = new long[64];
    private int queued;
    private volatile boolean stop;

    /**
     * @param arrivals where fetched pages go
     * @param connect opens the channel (on the fetcher's own thread: a slow connect holds up nothing else)
     * @param failed  told once, in one sentence, if the channel fails for good
     */
    DemandFetcher(String name, Supplier<SourcePeer> connect, PageBatch.PageVisitor arrivals, LinkShaper link,
                  Consumer<String> failed) {
        this.connect = connect;
        this.arrivals = arrivals;
        this.link = link;
        this.failed = failed;
        this.thread = new Thread(this::run, "demand-fetcher-" + name);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Asks for {@code gfn} in the next request (from the pager loop's thread). */
    void request(long gfn) {
        synchronized (lock) {
            if (queued == queue.length) {
                long[] bigger = new long[queue.length * 2];
                System.arraycopy(queue, 0, bigger, 0, queued);
                queue = bigger;
            }
            queue[queued++] = gfn;
            lock.notifyAll();
        }
    }

    /** Takes up to {@code out.length} queued gfns, waiting for the first; returns how many (0 when stopping). */
    private int take(long[] out) throws InterruptedException {
        synchronized (lock) {
            while (queued == 0) {
                if (stop) {
                    return 0;
                }
                lock.wait(50);
            }
            int n = Math.min(queued, out.length);
            System.arraycopy(queue, 0, out, 0, n);
            System.arraycopy(queue, n, queue, 0, queued - n);
            queued -= n;
            return n;
        }
    }

    private void run() {
        SourcePeer source;
        try {
            source = connect.get();
        } catch (MigrationException e) {
            failed.accept(e.getMessage());
            return;
        }
        try (source) {
            long[] gfns = new long[MAX_BATCH];
            while (!stop) {
                int n = take(gfns);
                if (n == 0) {
                    continue;
                }
                link.transmit(8L * n, true);
                link.propagate();
                Fetched reply = source.fetch(gfns, n);
                reply.pages().forEach(arrivals);
                // Pages named in alreadySent are on the push connection; they are answered when they land.
            }
        } catch (InterruptedException e) {
            // stopping
        } catch (RuntimeException e) {
            // The channel, or loading a fetched page, failed. Faults still waiting stay waiting, and completion
            // reports why; pages of a reply that did not load are not sent again in this session (the source
            // counts them as sent), so the session fails rather than finishes.
            if (!stop) {
                failed.accept(e.getMessage() == null ? e.toString() : e.getMessage());
            }
        }
    }

    void stop() {
        stop = true;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
