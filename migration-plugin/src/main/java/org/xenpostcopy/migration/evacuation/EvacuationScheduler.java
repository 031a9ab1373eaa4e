package org.xenpostcopy.migration.evacuation;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs an evacuation's migrations, at most {@code parallel} at once, in the plan's order; a migration that fails is
 * recorded and the rest go on, since a guest left behind is no reason to leave the others behind too.
 *
 * <p>A few at once, not all: every migration of an evacuation leaves through the same host's link, so more at once
 * only share it thinner, make each guest's post-copy phase (and its degradation) last longer, and make the guests
 * contend for one host's CPUs; but one at a time leaves the link idle while each migration prepares, switches and
 * completes. Two by default keeps the link busy through those gaps.
 */
public final class EvacuationScheduler {
    private final int parallel;

    /** @param parallel the most migrations at once, at least 1 */
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
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallel, assignments.size()), r -> {
            Thread t = new Thread(r, "evacuate-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<GuestOutcome>> running = new ArrayList<>();
            for (Placement.Assignment a : assignments) {
                running.add(pool.submit(() -> moveOne(a, mover)));
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

    private static GuestOutcome moveOne(Placement.Assignment a, GuestMover mover) throws InterruptedException {
        long start = System.nanoTime();
        try {
            return GuestOutcome.moved(a, mover.move(a), (System.nanoTime() - start) / 1e6);
        } catch (RuntimeException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return GuestOutcome.failed(a, why, (System.nanoTime() - start) / 1e6);
        }
    }
}
