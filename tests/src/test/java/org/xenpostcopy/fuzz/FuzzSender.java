package org.xenpostcopy.fuzz;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** How fuzzed connections are sent: a range of them by a few threads at once, or a burst opened all together. */
final class FuzzSender {
    /** Connections sent at once, each from its own thread. */
    static final int WORKERS = 4;

    /** One connection, by its index. */
    @FunctionalInterface
    interface Task {
        void run(int index) throws Exception;
    }

    private FuzzSender() {
    }

    /**
     * Runs {@code task} for every index in {@code [from, to)}, {@link #WORKERS} at a time; which thread takes which
     * index does not matter, as every frame follows from the seed and the index.
     */
    static void inParallel(int from, int to, Task task) throws Exception {
        AtomicInteger next = new AtomicInteger(from);
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                workers.add(pool.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < to; ) {
                        task.run(i);
                    }
                    return null;
                }));
            }
            for (Future<?> w : workers) {
                w.get();
            }
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(30, TimeUnit.SECONDS);
        }
    }

    /**
     * The planned connections {@code [from, to)}, all opened from {@code local} before any of them sends (more than the
     * daemon's per-peer cap: those above it are closed at once), then sent and read in turn.
     */
    static void burst(FuzzPlan plan, int from, int to, FuzzLink link, InetAddress local,
                      Function<FuzzPlan.Connection, InetSocketAddress> target, Duration timeout, FuzzTally tally)
            throws Exception {
        List<FuzzPlan.Connection> planned = new ArrayList<>();
        List<FuzzConnection> open = new ArrayList<>();
        try {
            for (int i = from; i < to; i++) {
                FuzzPlan.Connection c = plan.connection(i);
                planned.add(c);
                open.add(link.open(target.apply(c), local, timeout, i));
            }
            for (int i = 0; i < planned.size(); i++) {
                tally.sent(planned.get(i));
                open.get(i).send(planned.get(i));
            }
            for (int i = 0; i < planned.size(); i++) {
                tally.outcome(planned.get(i), open.get(i).finish());
            }
        } finally {
            for (FuzzConnection c : open) {
                c.close();
            }
        }
    }
}
