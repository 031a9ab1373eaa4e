package org.xenpostcopy.migration.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.daemon.HostAgent;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.migration.tls.LabAuthority;
import org.xenpostcopy.migration.tls.PeerAllowList;
import org.xenpostcopy.migration.tls.TlsCredentials;
import org.xenpostcopy.migration.tls.TlsProvider;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;

/**
 * Runs migrations between two emulated hosts in this JVM over real Thrift on loopback and prints what they
 * measured, as Markdown rows ready for docs/RESULTS.md.
 */
public final class MigrationBench {
    private final PrintStream out;

    public MigrationBench(PrintStream out) {
        this.out = out;
    }

    /** One measured migration: the guest, how long it warms up, and the options. */
    public record Run(long memoryMiB, String workload, long warmupOps, MigrationOptions options) {
    }

    /** Boots a guest on a fresh source host, lets it warm up, migrates it to a fresh destination host. */
    public static MigrationReport migrateOnce(Run run) {
        return migrateOnce(run, null, ChannelSecurity.plain(), ChannelSecurity.plain());
    }

    /** The same, with each agent's connections secured as given. */
    public static MigrationReport migrateOnce(Run run, ChannelSecurity sourceSecurity, ChannelSecurity destinationSecurity) {
        return migrateOnce(run, null, sourceSecurity, destinationSecurity);
    }

    /**
     * As {@link #migrateOnce(Run)}; {@code persistent}: both hosts keep their domains in files (guest memory as
     * shared file mappings), in a temporary directory under {@code /dev/shm} where it exists, removed afterwards.
     */
    public static MigrationReport migrateOnce(Run run, boolean persistent) {
        Path dir = null;
        try {
            if (persistent) {
                Path shm = Path.of("/dev/shm");
                dir = Files.isDirectory(shm) ? Files.createTempDirectory(shm, "xlpc-bench-")
                        : Files.createTempDirectory("xlpc-bench-");
            }
            return migrateOnce(run, dir, ChannelSecurity.plain(), ChannelSecurity.plain());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (dir != null) {
                deleteTree(dir);
            }
        }
    }

    private static EmulatedXenHost host(String name, Path dir) {
        return dir == null ? new EmulatedXenHost(name) : EmulatedXenHost.persistent(name, dir.resolve(name));
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir, e);
        }
    }

    private static MigrationReport migrateOnce(Run run, Path dir, ChannelSecurity sourceSecurity,
                                               ChannelSecurity destinationSecurity) {
        try (EmulatedXenHost a = host("bench-src", dir); EmulatedXenHost b = host("bench-dst", dir);
             HostAgent src = new HostAgent(a, new InetSocketAddress("127.0.0.1", 0), sourceSecurity);
             HostAgent dst = new HostAgent(b, new InetSocketAddress("127.0.0.1", 0), destinationSecurity)) {
            DomainId d = a.domains().create(DomainConfig.ofMiB("bench", run.memoryMiB(), run.workload(), 1), true);
            a.domains().unpause(d);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (a.guestOps(d) < run.warmupOps()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("guest did not warm up");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
            return src.migrate(d, dst.address(), run.options(), MigrationProgress.NONE);
        }
    }

    /** Single-stream TCP over loopback, Java sockets, 64 KiB writes: the ceiling one Thrift connection can reach. */
    public static double loopbackGBps(long bytes) throws IOException, InterruptedException {
        try (ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread sink = new Thread(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                    byte[] buf = new byte[1 << 16];
                    while (in.read(buf) >= 0) {
                        // drain
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            sink.start();
            long t0;
            try (Socket c = new Socket(java.net.InetAddress.getLoopbackAddress(), server.getLocalPort());
                 OutputStream o = c.getOutputStream()) {
                byte[] buf = new byte[1 << 16];
                t0 = System.nanoTime();
                for (long sent = 0; sent < bytes; sent += buf.length) {
                    o.write(buf);
                }
            }
            sink.join();
            return bytes / ((System.nanoTime() - t0) / 1e9) / 1e9;
        }
    }

    /** iperf3 single stream over loopback, if iperf3 is installed; else -1. */
    public static double iperf3GBps() {
        try {
            Process server = new ProcessBuilder("iperf3", "-s", "-1", "-B", "127.0.0.1", "-p", "5299")
                    .redirectErrorStream(true).start();
            try {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
                Process client = new ProcessBuilder("iperf3", "-c", "127.0.0.1", "-p", "5299", "-t", "5", "-J")
                        .redirectErrorStream(true).start();
                String json = new String(client.getInputStream().readAllBytes());
                client.waitFor(30, TimeUnit.SECONDS);
                int i = json.indexOf("\"sum_received\"");
                int j = json.indexOf("\"bits_per_second\"", i);
                if (i < 0 || j < 0) {
                    return -1;
                }
                String num = json.substring(json.indexOf(':', j) + 1).trim().split("[,\\s}]")[0];
                return Double.parseDouble(num) / 8 / 1e9;
            } finally {
                server.destroy();
            }
        } catch (IOException | InterruptedException | NumberFormatException e) {
            return -1;
        }
    }

    static double pageGBps(MigrationReport r) {
        return r.pagesTransferred() * 4096.0 / (r.postCopyMs() / 1e3) / 1e9;
    }

    /**
     * The page path's rate over the post-copy phase, and the whole migration's as the user waits for it: bytes at the
     * socket over the total, from the migrate call to completion, the destination's prepare included. The first run
     * is the JVM's first of 1 GiB (after the 256 MiB warm-up), its receiver's memory new to the process, and says so.
     */
    public void throughput(int repeats) throws Exception {
        out.println("## Page throughput, 1 GiB idle guest, push, unshaped loopback");
        out.println();
        double iperf = iperf3GBps();
        double java = loopbackGBps(4L << 30);
        out.printf("Reference: iperf3 single stream %s GB/s; Java single-stream socket %.2f GB/s%n%n",
                iperf < 0 ? "(iperf3 not installed)" : String.format("%.2f", iperf), java);
        out.println("| run | pages | prepare ms | post-copy ms | total ms | prepare share | page GB/s (post-copy) |"
                + " whole GB/s (socket bytes / total) | whole, % of iperf3 |");
        out.println("|---|---|---|---|---|---|---|---|---|");
        for (int i = 1; i <= repeats; i++) {
            MigrationReport r = migrateOnce(new Run(1024, "idle", 10,
                    MigrationOptions.defaults().withPrePaging(PrePaging.PUSH).withBaselineMs(0).withVerify(false)));
            double whole = r.bytesTransferred() / (r.totalMigrationMs() / 1e3) / 1e9;
            out.printf("| %s | %d | %.0f | %.0f | %.0f | %.1f %% | %.2f | %.2f | %s |%n", i == 1 ? "1 (first 1 GiB)" : i,
                    r.pagesTransferred(), r.prepareMs(), r.postCopyMs(), r.totalMigrationMs(),
                    100 * r.prepareMs() / r.totalMigrationMs(), pageGBps(r), whole,
                    iperf < 0 ? "n/a" : String.format("%.0f %%", 100 * whole / iperf));
        }
        out.println();
    }

    /**
     * What keeping guest memory in files costs: the throughput run on ephemeral hosts (anonymous memory with
     * transparent huge pages) and on persistent ones (shared mappings of tmpfs files), alternating.
     */
    public void persistenceCost(int repeats) {
        out.println("## Page throughput, ephemeral vs persistent hosts, 1 GiB idle guest, push, unshaped loopback");
        out.println();
        out.println("| run | hosts | pages | post-copy ms | page GB/s |");
        out.println("|---|---|---|---|---|");
        double[][] gbps = new double[2][repeats];
        for (int i = 0; i < repeats; i++) {
            for (int k = 0; k < 2; k++) {
                MigrationReport r = migrateOnce(new Run(1024, "idle", 10, MigrationOptions.defaults()
                        .withPrePaging(PrePaging.PUSH).withBaselineMs(0).withVerify(false)), k == 1);
                gbps[k][i] = pageGBps(r);
                out.printf("| %d | %s | %d | %.0f | %.2f |%n", i + 1, k == 1 ? "persistent" : "ephemeral",
                        r.pagesTransferred(), r.postCopyMs(), gbps[k][i]);
            }
        }
        double eph = median(gbps[0]);
        double per = median(gbps[1]);
        out.printf("%nMedian page GB/s: ephemeral %.2f, persistent %.2f; persistent / ephemeral = %.2f%n%n", eph, per,
                per / eph);
    }

    /**
     * What reverse checkpoints cost a migration that meets no fault: the same post-copy (1 GiB, 1000 Mbit/s, no
     * DSB) with checkpoints off, every second (the default) and every 5 s, in an order that rotates each round so
     * the machine's drift falls on all three. The guest's own throughput during post-copy is taken relative to its
     * baseline just before, so a slower round does not pass for checkpoint cost.
     */
    public void checkpointCost(String workload, long warmupOps, int rounds) {
        int[] intervals = {0, 1000, 5000};
        out.println("## Reverse checkpoint cost, 1 GiB " + workload + ", post-copy, 1000 Mbit/s, no DSB");
        out.println();
        out.println("| round | checkpoints every | total ms | post-copy ms | throughput during / before | checkpoints |"
                + " put off | guest paused ms | verified |");
        out.println("|---|---|---|---|---|---|---|---|---|");
        double[][] total = new double[intervals.length][rounds];
        double[][] ratio = new double[intervals.length][rounds];
        for (int i = 0; i < rounds; i++) {
            for (int k = 0; k < intervals.length; k++) {
                int c = (k + i) % intervals.length;
                MigrationOptions o = MigrationOptions.defaults().withLink(1000, 0).withBaselineMs(1000)
                        .withCheckpointing(intervals[c] == 0 ? org.xenpostcopy.migration.Checkpointing.off()
                                : new org.xenpostcopy.migration.Checkpointing(intervals[c],
                                MigrationOptions.DEFAULT_STALL_MS));
                MigrationReport r = migrateOnce(new Run(1024, workload, warmupOps, o));
                total[c][i] = r.totalMigrationMs();
                ratio[c][i] = r.appThroughputDuring() / Math.max(1, r.appThroughputBaseline());
                MigrationReport.Recovery rc = r.recovery();
                out.printf("| %d | %s | %.0f | %.0f | %.3f | %d | %d | %.1f | %s |%n", i + 1,
                        intervals[c] == 0 ? "off" : intervals[c] + " ms", r.totalMigrationMs(), r.postCopyMs(),
                        ratio[c][i], rc.checkpoints(), rc.checkpointsDeferred(), rc.checkpointPauseMs(), r.verified());
            }
        }
        out.println();
        for (int c = 1; c < intervals.length; c++) {
            out.printf("Every %d ms against off, medians of %d: total time %.3f, guest throughput %.3f%n", intervals[c],
                    rounds, median(total[c]) / median(total[0]), median(ratio[c]) / median(ratio[0]));
        }
        out.println();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /**
     * Page throughput plain and over mutual TLS with each provider that loads here (BoringSSL, the JDK), rotating
     * which goes first so drift in the machine's load falls on all alike, with a throw-away lab CA; prints each
     * run, the medians and their ratios to plain.
     */
    public void throughputPlainVsTls(int rounds) throws IOException {
        Path dir = Files.createTempDirectory("xlpc-bench-tls");
        try {
            LabAuthority ca = LabAuthority.openOrCreate(dir, Duration.ofDays(1));
            TlsCredentials srcCredentials = TlsCredentials.load(ca.issueHost("bench-src"));
            TlsCredentials dstCredentials = TlsCredentials.load(ca.issueHost("bench-dst"));
            List<String> names = new ArrayList<>(List.of("plain"));
            List<ChannelSecurity[]> ends = new ArrayList<>();
            ends.add(null);
            for (TlsProvider provider : TlsProvider.values()) {
                if (provider.isAvailable()) {
                    names.add("TLS, " + provider.label());
                    ends.add(new ChannelSecurity[] {
                        ChannelSecurity.tls(srcCredentials, PeerAllowList.parse("bench-dst"), provider),
                        ChannelSecurity.tls(dstCredentials, PeerAllowList.parse("bench-src"), provider)});
                } else {
                    out.printf("(%s does not load here: %s)%n%n", provider.label(), provider.unavailableReason());
                }
            }
            out.println("## Page throughput, plain vs TLS 1.3, 1 GiB idle guest, push, unshaped loopback");
            out.println();
            out.println("| round | transport | pages | post-copy ms | page GB/s |");
            out.println("|---|---|---|---|---|");
            List<List<Double>> rates = new ArrayList<>();
            names.forEach(n -> rates.add(new ArrayList<>()));
            Run run = new Run(1024, "idle", 10,
                    MigrationOptions.defaults().withPrePaging(PrePaging.PUSH).withBaselineMs(0).withVerify(false));
            // The TLS paths have their own code to compile (the engines, the cipher's intrinsics): warmed up too.
            for (int t = 1; t < ends.size(); t++) {
                migrateOnce(new Run(256, "idle", 10, run.options()), ends.get(t)[0], ends.get(t)[1]);
            }
            for (int i = 1; i <= rounds; i++) {
                for (int k = 0; k < names.size(); k++) {
                    int t = (k + i - 1) % names.size();
                    MigrationReport r = t == 0 ? migrateOnce(run) : migrateOnce(run, ends.get(t)[0], ends.get(t)[1]);
                    double gbps = pageGBps(r);
                    rates.get(t).add(gbps);
                    out.printf("| %d | %s | %d | %.0f | %.2f |%n", i, names.get(t), r.pagesTransferred(),
                            r.postCopyMs(), gbps);
                }
            }
            double plain = median(rates.get(0));
            out.printf("%nMedians over %d runs each: plain %.2f GB/s", rounds, plain);
            for (int t = 1; t < names.size(); t++) {
                double m = median(rates.get(t));
                out.printf("; %s %.2f GB/s, %.2f of plain", names.get(t), m, m / plain);
            }
            out.printf("%n%n");
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    public void downtime(long memoryMiB, int repeats) {
        out.printf("## Downtime, %d MiB guest (kernel-compile), bubble, unshaped%n%n", memoryMiB);
        out.println("| run | downtime ms | measured from | prepare ms | post-copy ms | total ms | prepare share "
                + "| verified |");
        out.println("|---|---|---|---|---|---|---|---|");
        double[] downtimes = new double[repeats];
        for (int i = 1; i <= repeats; i++) {
            MigrationReport r = migrateOnce(new Run(memoryMiB, "kernel-compile", 5_000,
                    MigrationOptions.defaults().withBaselineMs(0)));
            downtimes[i - 1] = r.downtimeMs();
            out.printf("| %d | %.2f | %s | %.0f | %.0f | %.0f | %.1f %% | %s |%n", i, r.downtimeMs(), r.downtimeFrom(),
                    r.prepareMs(), r.postCopyMs(), r.totalMigrationMs(), 100 * r.prepareMs() / r.totalMigrationMs(),
                    r.verified());
        }
        java.util.Arrays.sort(downtimes);
        out.printf("%nMedian downtime over %d runs: %.2f ms%n%n", repeats, downtimes[repeats / 2]);
    }

    public void faultLatency(long mbps) {
        out.printf("## Fault latency, 1 GiB stress-write:256M, %s%n%n", mbps == 0 ? "unshaped loopback" : mbps + " Mbit/s link");
        out.println("| background push | network faults | p50 us | p99 us | max us |");
        out.println("|---|---|---|---|---|");
        for (PrePaging p : new PrePaging[] {PrePaging.DEMAND, PrePaging.PUSH}) {
            MigrationReport r = migrateOnce(new Run(1024, "stress-write:256M", 70_000,
                    MigrationOptions.defaults().withPrePaging(p).withLink(mbps, 0).withBaselineMs(0).withVerify(false)
                            .withDemandOnlyMs(p == PrePaging.DEMAND ? 3000 : 0)));
            out.printf("| %s | %d | %.1f | %.1f | %.1f |%n", p == PrePaging.DEMAND ? "demand (idle link for 3 s)" : "full push",
                    r.networkFaults(), r.faultLatencyUs().p50(), r.faultLatencyUs().p99(), r.faultLatencyUs().max());
        }
        out.println();
    }

    public void faultsPerPolicy(String workload, long warmup, long mbps) {
        out.printf("## Network faults per policy, 1 GiB %s, %s%n%n", workload, mbps == 0 ? "unshaped" : mbps + " Mbit/s");
        out.println("| policy | network faults | first touches | faults / touches | minor faults | total ms "
                + "| app ops/s before | during | verified |");
        out.println("|---|---|---|---|---|---|---|---|---|");
        for (PrePaging p : PrePaging.values()) {
            MigrationReport r = migrateOnce(new Run(1024, workload, warmup,
                    MigrationOptions.defaults().withPrePaging(p).withLink(mbps, 0).withBaselineMs(1000).withVerify(true)));
            out.printf("| %s | %d | %d | %.1f %% | %d | %.0f | %.0f | %.0f | %s |%n", p.wireName(), r.networkFaults(),
                    r.guestPagesTouched(), 100.0 * r.networkFaults() / Math.max(1, r.guestPagesTouched()),
                    r.minorFaults(), r.totalMigrationMs(), r.appThroughputBaseline(), r.appThroughputDuring(),
                    r.verified());
        }
        out.println();
    }

    /** Pre-copy against post-copy on a guest that out-dirties the link (issue: the baseline comparison). */
    public void precopyVsPostcopy(long mbps) {
        out.printf("## Pre-copy vs post-copy, 1 GiB stress-write, %d Mbit/s link%n%n", mbps);
        out.println("| working set | mode | rounds | pages sent | pages / VM pages | downtime ms | total ms | verified |");
        out.println("|---|---|---|---|---|---|---|---|");
        for (String wss : new String[] {"64M", "128M", "256M"}) {
            long warm = WorkloadPages.of(wss) + 5_000;
            for (MigrationMode m : new MigrationMode[] {MigrationMode.PRECOPY, MigrationMode.POSTCOPY}) {
                MigrationReport r = migrateOnce(new Run(1024, "stress-write:" + wss, warm,
                        MigrationOptions.defaults().withMode(m).withLink(mbps, 0).withBaselineMs(0)));
                out.printf("| %s | %s | %d | %d | %.2f | %.1f | %.0f | %s |%n", wss, m.wireName(), r.rounds(),
                        r.pagesTransferred(), (double) r.pagesTransferred() / r.vmPages(), r.downtimeMs(),
                        r.totalMigrationMs(), r.verified());
            }
        }
        out.println();
    }

    /** What self-ballooning saves on a guest using a quarter of its memory. */
    public void selfBallooning(long mbps) {
        out.printf("## Dynamic self-ballooning, 1 GiB guest using ~25 %% (stress-read:240M), %d Mbit/s link%n%n", mbps);
        out.println("| mode | DSB | pages free at start | ballooned (not sent) | unsent share of free | pages sent | total ms | verified |");
        out.println("|---|---|---|---|---|---|---|---|");
        for (MigrationMode m : MigrationMode.values()) {
            for (boolean dsb : new boolean[] {false, true}) {
                MigrationReport r = migrateOnce(new Run(1024, "stress-read:240M", 70_000,
                        MigrationOptions.defaults().withMode(m).withDsb(dsb).withLink(mbps, 0).withBaselineMs(0)));
                out.printf("| %s | %s | %d | %d | %.1f %% | %d | %.0f | %s |%n", m.wireName(), dsb ? "on" : "off",
                        r.pagesFreeAtStart(), r.pagesSkippedBallooned(),
                        100.0 * r.pagesSkippedBallooned() / Math.max(1, r.pagesFreeAtStart()), r.pagesTransferred(),
                        r.totalMigrationMs(), r.verified());
            }
        }
        out.println();
    }

    /** Pages of a size spec such as {@code 64M}. */
    private static final class WorkloadPages {
        static long of(String size) {
            return org.xenpostcopy.xen.emulated.guest.WorkloadSpec.parseSize(size, size) / 4096;
        }
    }

    /** One small migration first, so the JIT has compiled the page path before anything is measured. */
    public void warmUp() {
        migrateOnce(new Run(256, "kernel-compile", 5_000, MigrationOptions.defaults().withBaselineMs(0)));
    }

    public static void main(String[] args) throws Exception {
        MigrationBench bench = new MigrationBench(System.out);
        List<String> what = args.length == 0 ? List.of("throughput", "downtime", "latency", "faults", "precopy", "dsb")
                : List.of(args);
        bench.warmUp();
        for (String w : what) {
            switch (w) {
                case "throughput" -> bench.throughput(5);
                case "tls" -> bench.throughputPlainVsTls(5);
                case "downtime" -> {
                    bench.downtime(1024, 5);
                    bench.downtime(4096, 3);
                }
                case "latency" -> {
                    bench.faultLatency(0);
                    bench.faultLatency(1000);
                }
                case "faults" -> {
                    bench.faultsPerPolicy("stress-write:256M", 70_000, 1000);
                    bench.faultsPerPolicy("stress-write:256M@20000", 70_000, 1000);
                    bench.faultsPerPolicy("kernel-compile", 30_000, 1000);
                }
                case "precopy" -> bench.precopyVsPostcopy(1000);
                case "dsb" -> bench.selfBallooning(1000);
                case "persistence" -> bench.persistenceCost(5);
                case "checkpoints" -> {
                    bench.checkpointCost("kernel-compile", 30_000, 3);
                    bench.checkpointCost("stress-write:256M", 70_000, 3);
                }
                default -> throw new IllegalArgumentException("unknown benchmark '" + w + "' (throughput, tls, "
                        + "persistence, checkpoints, downtime, latency, faults, precopy, dsb)");
            }
        }
    }
}
