package org.xenpostcopy.migration.evacuation;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs an evacuation's migrations in the plan's order, at most {@code parallel} of them started and not yet past
 * their last page; a migration that fails is recorded and the rest go on, since a guest left behind is no reason to
 * leave the others behind too. ({@code xlpc evacuate} starts twice as many as may send: the source's daemon gives
 * the turns at its link, and the others get ready meanwhile; see {@code LinkTurns}.)
 *
 * <p>A few at once, not all: every migration of an evacuation leaves through the same host's link, so more at once
 * only share it thinner, make each guest's post-copy phase (and its degradation) last longer, and make the guests
 * contend for one host's CPUs; but one at a time leaves the link idle while each migration prepares, switches and
 * completes. Two by default keeps the link busy through those gaps. A place is taken from a migration's start and
 * given back when it has sent its last page, not when it ends: its completion and the destination's check of the
 * guest's memory (a second or two for GiBs) need no link, and the next guest's baseline, ballooning and prepare then
 * run beside them rather than after.
 */
public final class EvacuationScheduler {
    private final int parallel;

    /** @param parallel the most migrations started and not yet past their last page, at least 1 */
    public EvacuationScheduler(int parallel) {
        if (parallel < 1) {
            throw new IllegalArgumentException("at least one migration must run at a time, not " + parallel);
        }
        this.parallel = parallel;
    }

    /**
     * Moves every assigned guest with {@code mover} and returns what became of each, in {@code assignments}' order.
     *
     * @throws InterruptedException if interrupted while waiting; the migrations still running are interrupted too
     */
    public List<GuestOutcome> run(List<Placement.Assignment> assignments, GuestMover mover) throws InterruptedException {
        if (assignments.isEmpty()) {
            return List.of();
        }
        AtomicInteger threads = new AtomicInteger();
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "evacuate-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        Semaphore sending = new Semaphore(parallel);
        try {
            List<Future<GuestOutcome>> running = new ArrayList<>();
            for (Placement.Assignment a : assignments) {
                sending.acquire();
                Runnable linkDone = once(sending::release);
                running.add(pool.submit(() -> {
                    try {
                        return moveOne(a, mover, linkDone);
                    } finally {
                        linkDone.run();
                    }
                }));
            }
            List<GuestOutcome> outcomes = new ArrayList<>();
            for (Future<GuestOutcome> f : running) {
                try {
                    outcomes.add(f.get());
                } catch (ExecutionException e) {
                    throw new IllegalStateException("moveOne records every failure", e.getCause());
                }
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }

    /** {@code action} the first time it is run, nothing after. */
    private static Runnable once(Runnable action) {
        AtomicBoolean done = new AtomicBoolean();
        return () -> {
            if (done.compareAndSet(false, true)) {
                action.run();
            }
        };
    }

    private static GuestOutcome moveOne(Placement.Assignment a, GuestMover mover, Runnable linkDone)
            throws InterruptedException {
        long start = System.nanoTime();
        try {
            return GuestOutcome.moved(a, mover.move(a, linkDone), (System.nanoTime() - start) / 1e6);
        } catch (RuntimeException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return GuestOutcome.failed(a, why, (System.nanoTime() - start) / 1e6);
        }
    }
}
