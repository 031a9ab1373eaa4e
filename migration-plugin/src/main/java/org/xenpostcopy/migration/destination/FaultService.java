package org.xenpostcopy.migration.destination;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.xenpostcopy.xen.PagingRequest;
import org.xenpostcopy.xen.PagingSession;

/**
 * The destination's fault thread: it only translates ring requests into answers (page already here) or demand
 * requests (page not here). It never touches the network and never maps guest memory, so it can never block
 * the ring behind a slow transfer.
 */
final class FaultService {
    private static final Logger LOG = System.getLogger(FaultService.class.getName());
    /** How often it asks Xen whether the guest still runs here (a dead guest sends no more requests). */
    private static final long ALIVE_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final IncomingMigration migration;
    private final PagingSession paging;
    private final Thread thread;
    private volatile boolean stop;

    FaultService(IncomingMigration migration, PagingSession paging) {
        this.migration = migration;
        this.paging = paging;
        this.thread = new Thread(this::run, "fault-service-" + migration.domain);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        List<PagingRequest> batch = new ArrayList<>();
        long nextAliveCheck = System.nanoTime();
        try {
            while (!stop) {
                paging.awaitEvent(50, TimeUnit.MILLISECONDS);
                if (System.nanoTime() - nextAliveCheck >= 0) {
                    nextAliveCheck = System.nanoTime() + ALIVE_CHECK_NANOS;
                    migration.checkGuestAlive();
                }
                batch.clear();
                migration.ringLock().lock();
                try {
                    paging.takeRequests(batch);
                } finally {
                    migration.ringLock().unlock();
                }
                if (batch.isEmpty()) {
                    continue;
                }
                long now = System.nanoTime();
                List<PagingRequest> answerNow = new ArrayList<>();
                for (PagingRequest r : batch) {
                    if (migration.onRequest(r, now)) {
                        answerNow.add(r);
                    }
                }
                if (!answerNow.isEmpty()) {
                    migration.ringLock().lock();
                    try {
                        for (PagingRequest r : answerNow) {
                            paging.respond(r);
                        }
                        paging.pushResponses();
                    } finally {
                        migration.ringLock().unlock();
                    }
                }
            }
        } catch (InterruptedException e) {
            // stopping
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "fault service of " + migration.domain + " failed", e);
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
