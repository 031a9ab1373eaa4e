package org.xenpostcopy.migration.bench.paper;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jfree.chart.JFreeChart;
import org.xenpostcopy.balloon.BalloonPolicy;
import org.xenpostcopy.balloon.BalloonStatus;
import org.xenpostcopy.balloon.SelfBallooningController;

/**
 * Fig. 11 of the paper: what self-ballooning costs the application, against the DSB interval. A kernel-compile
 * guest runs (no migration) for a window without DSB, then a window with DSB at the interval, its rate measured
 * in each; the slowdown is the second against the first, so the machine's drift falls on both. After each DSB
 * window the target is restored and the guest gets a second to take its memory back, outside both windows.
 */
final class BalloonInterval {
    static final String NAME = "fig11";
    static final String CSV = "fig11-dsb-interval.csv";
    static final String PNG = "fig11-dsb-interval.png";
    static final String WORKLOAD = "kernel-compile";
    private static final long SETTLE_MS = 1000;

    private record Window(int intervalS, int seed, double opsWithout, double opsWith, BalloonStatus status) {
        double slowdownPct() {
            return 100 * (1 - opsWith / opsWithout);
        }
    }

    private BalloonInterval() {
    }

    static String run(PaperContext c) {
        PaperScale s = c.scale();
        List<Window> windows = new ArrayList<>();
        int n = s.dsbIntervals().size() * c.runs();
        int i = 0;
        for (int seed = 1; seed <= c.runs(); seed++) {
            try (HostPair hosts = new HostPair(false)) {
                hosts.boot(s.guestMiB(), WORKLOAD, seed);
                hosts.warmUp(GuestWorkloads.warmUpOps(WORKLOAD));
                for (int interval : s.dsbIntervals()) {
                    c.progress().run(NAME, ++i, n, String.format(Locale.ROOT,
                            "%s, DSB every %d s, windows of %d s, seed %d", WORKLOAD, interval, s.dsbWindowSeconds(),
                            seed));
                    double without = rate(hosts, s.dsbWindowSeconds());
                    try (SelfBallooningController dsb = new SelfBallooningController(hosts.store(),
                            BalloonPolicy.defaults().withInterval(Duration.ofSeconds(interval)))) {
                        dsb.start(hosts.guest());
                        double with = rate(hosts, s.dsbWindowSeconds());
                        BalloonStatus status = dsb.status(hosts.guest()).orElseThrow();
                        windows.add(new Window(interval, seed, without, with, status));
                    }   // closing stops DSB and restores the target
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(SETTLE_MS));
                }
            }
        }
        CsvTable csv = new CsvTable("interval_s", "seed", "window_s", "ops_per_s_without_dsb", "ops_per_s_with_dsb",
                "slowdown_pct", "original_target_kib", "target_kib_at_end", "used_kib", "pressure_events",
                "adjustments");
        Map<Integer, List<Double>> slowdown = new LinkedHashMap<>();
        for (Window w : windows) {
            BalloonStatus st = w.status();
            csv.row(w.intervalS(), w.seed(), s.dsbWindowSeconds(), w.opsWithout(), w.opsWith(), w.slowdownPct(),
                    st.originalTargetKiB(), st.targetKiB(), st.usedKiB(), st.pressureEvents(), st.adjustments());
            slowdown.computeIfAbsent(w.intervalS(), k -> new ArrayList<>()).add(w.slowdownPct());
        }
        csv.write(c.file(CSV));

        double[] x = new double[slowdown.size()];
        double[] y = new double[slowdown.size()];
        int k = 0;
        StringBuilder sb = new StringBuilder("### Fig. 11: DSB interval against the application's cost (medians)\n\n");
        sb.append("| DSB interval s | kernel-compile slowdown | target at end of window, MiB |\n|---|---|---|\n");
        for (Map.Entry<Integer, List<Double>> e : slowdown.entrySet()) {
            x[k] = e.getKey();
            y[k++] = Stats.median(e.getValue());
            int interval = e.getKey();
            sb.append(String.format(Locale.ROOT, "| %d | %.1f %% | %.0f |%n", interval, Stats.median(e.getValue()),
                    Stats.median(windows.stream().filter(w -> w.intervalS() == interval)
                            .map(w -> w.status().targetKiB() / 1024.0).toList())));
        }
        JFreeChart chart = Charts.lines("Fig. 11: DSB interval vs the application's cost", "DSB interval (s)",
                "kernel-compile slowdown with DSB (%)", List.of(new Charts.Series("kernel-compile", x, y)), false,
                false);
        Charts.subtitle(chart, String.format(Locale.ROOT, "windows of %d s with and without DSB, no migration; %s",
                s.dsbWindowSeconds(), c.setup()));
        Charts.save(chart, c.file(PNG));
        return sb.append('\n').toString();
    }

    /** The guest's operations per second over the next {@code seconds}. */
    private static double rate(HostPair hosts, int seconds) {
        long ops0 = hosts.guestOps();
        long t0 = System.nanoTime();
        LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(seconds));
        long ops1 = hosts.guestOps();
        return (ops1 - ops0) / ((System.nanoTime() - t0) / 1e9);
    }
}
