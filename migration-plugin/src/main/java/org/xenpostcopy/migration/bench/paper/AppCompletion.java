package org.xenpostcopy.migration.bench.paper;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jfree.chart.JFreeChart;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.report.MigrationReport;

/**
 * Fig. 7–8 of the paper: a kernel compile's completion time and netperf's throughput with no migration, and while
 * the guest is migrated to the other host and back (post-copy or pre-copy, with or without DSB). The job is a fixed
 * number of the workload's operations (its nominal pace times {@link PaperScale#appJobSeconds()}); the first
 * migration starts a tenth into the job, the second as soon as the first is done. Every connection passes a
 * counting relay, so the same runs give Fig. 9–10's bandwidth over time.
 */
final class AppCompletion {
    static final String NAME = "fig7-8";
    static final String CSV = "fig7-8-applications.csv";
    static final String PNG_COMPILE = "fig7-kernel-compile.png";
    static final String PNG_NETPERF = "fig8-netperf.png";
    static final List<String> WORKLOADS = List.of("kernel-compile", "netperf");
    /** Bits one netperf stand-in operation moves: it rewrites one 4 KiB buffer page. */
    static final double NETPERF_BITS_PER_OP = 4096 * 8;

    /** How the guest is treated during the job; {@code mode} null: it is not migrated. */
    record Config(MigrationMode mode, boolean dsb) {
        String label() {
            if (mode == null) {
                return "no migration";
            }
            return (mode == MigrationMode.POSTCOPY ? "post-copy" : "pre-copy") + (dsb ? ", DSB" : ", no DSB");
        }
    }

    /** One job: when it completed, and the two migrations (out and back) it ran through. */
    record Run(String workload, Config config, int seed, long jobOps, double completionSeconds,
               List<MigrationReport> reports, List<double[]> migrationWindows, List<GuestTrace.Sample> trace,
               boolean migrationsOutlastedJob) {
        double opsPerSecond() {
            return jobOps / completionSeconds;
        }
    }

    private AppCompletion() {
    }

    /** The job runs this long before its first migration starts: a tenth of it, at least a second. */
    static long leadInMs(PaperScale s) {
        return Math.max(1000, s.appJobSeconds() * 100L);
    }

    static List<Config> configs(PaperScale s) {
        List<Config> configs = new ArrayList<>(List.of(new Config(null, false),
                new Config(MigrationMode.POSTCOPY, true), new Config(MigrationMode.PRECOPY, true)));
        if (s.appWithoutDsb()) {
            configs.add(new Config(MigrationMode.POSTCOPY, false));
            configs.add(new Config(MigrationMode.PRECOPY, false));
        }
        return configs;
    }

    static List<Run> run(PaperContext c) {
        List<Config> configs = configs(c.scale());
        int n = WORKLOADS.size() * configs.size() * c.runs();
        int i = 0;
        List<Run> runs = new ArrayList<>();
        for (String w : WORKLOADS) {
            for (Config config : configs) {
                for (int seed = 1; seed <= c.runs(); seed++) {
                    c.progress().run(NAME, ++i, n, w + ", " + config.label() + ", seed " + seed);
                    runs.add(job(c, w, config, seed));
                }
            }
        }
        write(c, runs);
        return runs;
    }

    private static Run job(PaperContext c, String workload, Config config, int seed) {
        PaperScale s = c.scale();
        long jobOps = GuestWorkloads.opsPerSecond(workload, s.guestMiB()) * s.appJobSeconds();
        try (HostPair hosts = new HostPair(true)) {
            hosts.boot(s.guestMiB(), workload, seed);
            hosts.warmUp(GuestWorkloads.warmUpOps(workload));
            List<MigrationReport> reports = new ArrayList<>();
            List<double[]> windows = new ArrayList<>();
            try (GuestTrace trace = new GuestTrace(hosts)) {
                long target = trace.samples().get(0).ops() + jobOps;
                // A lead-in before the first migration, so the bandwidth plots show the guest undisturbed first.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(leadInMs(s)));
                if (config.mode() != null) {
                    for (int leg = 0; leg < 2; leg++) {
                        double from = trace.seconds();
                        reports.add(hosts.migrateAway(SingleMigrations.options(s, config.mode(), PrePaging.BUBBLE,
                                config.dsb())));
                        windows.add(new double[] {from, trace.seconds()});
                    }
                }
                boolean outlasted = !Double.isNaN(trace.reached(target));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20L * s.appJobSeconds() + 300);
                while (Double.isNaN(trace.reached(target))) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException(workload + ": the job did not complete");
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(GuestTrace.PERIOD_MS));
                }
                double completed = trace.reached(target) - trace.samples().get(0).seconds();
                trace.close();
                return new Run(workload, config, seed, jobOps, completed, reports, windows, trace.samples(),
                        outlasted);
            }
        }
    }

    private static void write(PaperContext c, List<Run> runs) {
        CsvTable csv = new CsvTable("workload", "config", "mode", "dsb", "seed", "job_ops", "completion_s",
                "ops_per_s", "netperf_mbit_s", "migrations", "total_ms_out", "total_ms_back", "prepare_ms_out",
                "prepare_ms_back", "downtime_ms_out", "downtime_ms_back", "pages_sent_out", "pages_sent_back",
                "bytes_transferred_reports", "bytes_relayed", "migrations_outlasted_job", "verified");
        for (Run r : runs) {
            List<MigrationReport> m = r.reports();
            long relayed = r.trace().get(r.trace().size() - 1).wireBytes();
            csv.row(r.workload(), r.config().label(), r.config().mode() == null ? "none" : r.config().mode().wireName(),
                    r.config().dsb(), r.seed(), r.jobOps(), r.completionSeconds(), r.opsPerSecond(),
                    r.workload().equals("netperf") ? r.opsPerSecond() * NETPERF_BITS_PER_OP / 1e6 : "",
                    m.size(), leg(m, 0, MigrationReport::totalMigrationMs),
                    leg(m, 1, MigrationReport::totalMigrationMs),
                    leg(m, 0, MigrationReport::prepareMs), leg(m, 1, MigrationReport::prepareMs),
                    leg(m, 0, MigrationReport::downtimeMs), leg(m, 1, MigrationReport::downtimeMs),
                    leg(m, 0, x -> (double) x.pagesTransferred()), leg(m, 1, x -> (double) x.pagesTransferred()),
                    m.stream().mapToLong(MigrationReport::bytesTransferred).sum(), relayed,
                    r.migrationsOutlastedJob(), m.stream().allMatch(MigrationReport::verified));
        }
        csv.write(c.file(CSV));

        List<Charts.Bar> compile = new ArrayList<>();
        List<Charts.Bar> netperf = new ArrayList<>();
        for (Config config : configs(c.scale())) {
            List<Run> k = select(runs, "kernel-compile", config);
            List<Run> np = select(runs, "netperf", config);
            compile.add(new Charts.Bar(config.label(), "kernel-compile",
                    Stats.median(k.stream().map(Run::completionSeconds).toList())));
            netperf.add(new Charts.Bar(config.label(), "netperf stand-in",
                    Stats.median(np.stream().map(r -> r.opsPerSecond() * NETPERF_BITS_PER_OP / 1e6).toList())));
        }
        JFreeChart f7 = Charts.bars("Fig. 7: kernel compile, migrated out and back", "",
                "completion time (s)", compile);
        Charts.subtitle(f7, jobLine(c));
        Charts.save(f7, c.file(PNG_COMPILE));
        JFreeChart f8 = Charts.bars("Fig. 8: netperf stand-in, migrated out and back", "",
                "throughput (Mbit/s of 4 KiB buffer pages written)", netperf);
        Charts.subtitle(f8, jobLine(c));
        Charts.save(f8, c.file(PNG_NETPERF));
    }

    private static String jobLine(PaperContext c) {
        return String.format(Locale.ROOT, "a job of %d s at its nominal pace; %s", c.scale().appJobSeconds(),
                c.setup());
    }

    static List<Run> select(List<Run> runs, String workload, Config config) {
        return runs.stream().filter(r -> r.workload().equals(workload) && r.config().equals(config)).toList();
    }

    private static Object leg(List<MigrationReport> m, int i, java.util.function.ToDoubleFunction<MigrationReport> f) {
        return i < m.size() ? (Object) f.applyAsDouble(m.get(i)) : "";
    }

    static String summary(PaperContext c, List<Run> runs) {
        StringBuilder sb = new StringBuilder("### Fig. 7–8: applications migrated out and back (medians)\n\n");
        sb.append("| workload | config | completion s | ops/s | vs no migration | migrations outlasted job |\n");
        sb.append("|---|---|---|---|---|---|\n");
        for (String w : WORKLOADS) {
            double base = Stats.median(select(runs, w, new Config(null, false)).stream()
                    .map(Run::completionSeconds).toList());
            for (Config config : configs(c.scale())) {
                List<Run> rs = select(runs, w, config);
                double t = Stats.median(rs.stream().map(Run::completionSeconds).toList());
                sb.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %.0f | %.3f | %s |%n", w, config.label(), t,
                        Stats.median(rs.stream().map(Run::opsPerSecond).toList()), t / base,
                        rs.stream().anyMatch(Run::migrationsOutlastedJob)));
            }
        }
        return sb.append('\n').toString();
    }
}
