package org.xenpostcopy.xen.pager;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.PagingRequest;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.XenException;

/**
 * One domain's pager loop, on its own thread: take the requests on the ring, ask the {@link FaultHandler} whether
 * each page is here (it loads it if it can), answer those at once, and leave the rest to whoever delivers their
 * page later through {@link #answer}. It owns the ring and its lock: nothing else calls the session's ring
 * operations, which Xen's ring (one producer index, one consumer index) cannot take from two threads at once.
 *
 * <p>The loop never touches the network and never maps guest memory itself, so a slow transfer can never stall
 * the ring (xenpaging's rule; a foreign mapping of a paged-out gfn from the ring thread would deadlock).
 */
public final class PagerLoop implements AutoCloseable {
    private static final Logger LOG = System.getLogger(PagerLoop.class.getName());
    private static final long POLL_MS = 50;

    /** What the loop asks about each request; called on the loop's thread. */
    @FunctionalInterface
    public interface FaultHandler {
        /**
         * A guest (or foreign mapper) wants {@code request.gfn()}. Returns true if the page is present now, so the
         * loop answers at once; false if whoever delivers the page later answers through {@link PagerLoop#answer}.
         *
         * @param takenAtNanos {@link System#nanoTime} when the request came off the ring
         */
        boolean onFault(PagingRequest request, long takenAtNanos);
    }

    private final PagingSession session;
    private final FaultHandler handler;
    private final Runnable tick;
    private final long tickNanos;
    private final ReentrantLock ring = new ReentrantLock();
    private final Thread thread;
    private final AtomicLong requests = new AtomicLong();
    private volatile boolean stop;
    private volatile Throwable failure;
    /** Set once the ring is no longer ours (the session may be unmapped next); guarded by {@link #ring}. */
    private boolean closed;

    public PagerLoop(PagingSession session, FaultHandler handler) {
        this(session, handler, () -> { }, 0);
    }

    /**
     * @param tick      run on the loop's thread about every {@code tickNanos} (e.g. to notice a guest that died:
     *                  a dead guest puts nothing more on the ring)
     * @param tickNanos 0 = never
     */
    public PagerLoop(PagingSession session, FaultHandler handler, Runnable tick, long tickNanos) {
        this.session = session;
        this.handler = handler;
        this.tick = tick;
        this.tickNanos = tickNanos;
        this.thread = new Thread(this::run, "pager-" + session.domain());
        thread.setDaemon(true);
    }

    public PagerLoop start() {
        thread.start();
        return this;
    }

    /**
     * Answers requests whose page has just been loaded (from any thread). After {@link #close} it does nothing:
     * the ring may be unmapped by then, and a late delivery must not write to it.
     */
    public void answer(List<PagingRequest> loaded) {
        if (loaded.isEmpty()) {
            return;
        }
        ring.lock();
        try {
            if (closed) {
                return;
            }
            for (PagingRequest r : loaded) {
                session.respond(r);
            }
            session.pushResponses();
        } finally {
            ring.unlock();
        }
    }

    /** Requests taken off the ring so far. */
    public long requestsTaken() {
        return requests.get();
    }

    /** Why the loop stopped on its own, or null while it runs (or after a clean stop). */
    public Throwable failure() {
        return failure;
    }

    private void run() {
        List<PagingRequest> batch = new ArrayList<>();
        List<PagingRequest> now = new ArrayList<>();
        long nextTick = System.nanoTime() + tickNanos;
        try {
            while (!stop) {
                session.awaitEvent(POLL_MS, TimeUnit.MILLISECONDS);
                if (tickNanos > 0 && System.nanoTime() - nextTick >= 0) {
                    nextTick = System.nanoTime() + tickNanos;
                    tick.run();
                }
                serveOnce(batch, now);
            }
        } catch (InterruptedException e) {
            // stopping
        } catch (XenException e) {
            failure = e;
            if (e.is(Errno.ESRCH)) {
                // The domain was destroyed under the loop (its host closed, or the toolstack destroyed it): nothing
                // is left to page, so the loop ends rather than wait on a port that no longer blocks.
                LOG.log(Level.INFO, "the pager loop of {0} ends: {1}", session.domain(), e.getMessage());
            } else {
                LOG.log(Level.ERROR, "the pager loop of " + session.domain() + " failed", e);
            }
        } catch (RuntimeException e) {
            failure = e;
            LOG.log(Level.ERROR, "the pager loop of " + session.domain() + " failed", e);
        }
    }

    /** Takes what is on the ring and answers what can be answered now; returns how many requests it took. */
    private int serveOnce(List<PagingRequest> batch, List<PagingRequest> now) {
        batch.clear();
        now.clear();
        ring.lock();
        try {
            if (closed) {
                return 0;
            }
            session.takeRequests(batch);
        } finally {
            ring.unlock();
        }
        if (batch.isEmpty()) {
            return 0;
        }
        requests.addAndGet(batch.size());
        long takenAt = System.nanoTime();
        for (PagingRequest r : batch) {
            if (handler.onFault(r, takenAt)) {
                now.add(r);
            }
        }
        answer(now);
        return batch.size();
    }

    /**
     * Stops the loop's thread, then keeps serving from the calling thread until the ring has stayed empty for
     * {@code quietMs}: a fault raised just before its page was loaded can reach the ring after the load, and its
     * vCPU would wait for ever if nobody answered. The handler must answer everything at once by then.
     */
    public void drainAndStop(long quietMs) throws InterruptedException {
        stopThread();
        List<PagingRequest> batch = new ArrayList<>();
        List<PagingRequest> now = new ArrayList<>();
        long quietSince = System.nanoTime();
        while (System.nanoTime() - quietSince < TimeUnit.MILLISECONDS.toNanos(quietMs)) {
            session.awaitEvent(Math.max(1, quietMs / 4), TimeUnit.MILLISECONDS);
            if (serveOnce(batch, now) > 0) {
                quietSince = System.nanoTime();
            }
        }
        close();
    }

    /**
     * Stops the loop's thread and gives up the ring: requests still on it stay there, and later {@link #answer}
     * calls do nothing. Does not close the session.
     */
    @Override
    public void close() {
        stopThread();
        ring.lock();
        try {
            closed = true;
        } finally {
            ring.unlock();
        }
    }

    private void stopThread() {
        stop = true;
        thread.interrupt();
        if (thread.isAlive() && thread != Thread.currentThread()) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
