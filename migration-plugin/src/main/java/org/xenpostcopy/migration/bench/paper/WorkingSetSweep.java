package org.xenpostcopy.migration.bench.paper;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.JFreeChart;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.report.MigrationReport;

/**
 * Fig. 4–6 of the paper: total migration time, downtime and pages sent against the working set of the stress test,
 * read- and write-intensive, pre-copy against post-copy (with the paper's bubble), each with and without DSB.
 */
final class WorkingSetSweep {
    static final String NAME = "fig4-6";
    static final String CSV = "fig4-6-working-set.csv";
    static final String[] PNGS = {"fig4-total-time.png", "fig5-downtime.png", "fig6-pages-sent.png"};

    private record Line(boolean writes, MigrationMode mode, boolean dsb) {
        String label() {
            return (writes ? "Write" : "Read") + ", " + (mode == MigrationMode.POSTCOPY ? "post-copy" : "pre-copy")
                    + (dsb ? ", DSB" : ", no DSB");
        }
    }

    private WorkingSetSweep() {
    }

    static String run(PaperContext c) {
        PaperScale s = c.scale();
        List<SingleMigrations.Point> points = new ArrayList<>();
        List<String> sizes = new ArrayList<>();
        List<Line> lines = new ArrayList<>();
        for (boolean dsb : new boolean[] {true, false}) {
            for (String wss : dsb ? s.sweepSizes() : s.sweepSizesNoDsb()) {
                for (boolean writes : new boolean[] {true, false}) {
                    for (MigrationMode mode : new MigrationMode[] {MigrationMode.POSTCOPY, MigrationMode.PRECOPY}) {
                        for (int seed = 1; seed <= c.runs(); seed++) {
                            points.add(new SingleMigrations.Point(workload(writes, wss), mode, PrePaging.BUBBLE, dsb,
                                    seed));
                            sizes.add(wss);
                            lines.add(new Line(writes, mode, dsb));
                        }
                    }
                }
            }
        }
        List<MigrationReport> reports = c.measure(NAME, points);

        CsvTable csv = new CsvTable("working_set_mib", "access", "mode", "prepaging", "dsb", "seed", "total_ms",
                "prepare_ms", "post_copy_ms", "downtime_ms", "downtime_from", "pages_sent", "vm_pages",
                "pages_ballooned", "bytes_transferred", "rounds", "network_faults", "minor_faults", "verified");
        Map<Line, Map<Double, List<MigrationReport>>> byLine = new LinkedHashMap<>();
        for (int i = 0; i < points.size(); i++) {
            SingleMigrations.Point p = points.get(i);
            MigrationReport r = reports.get(i);
            double mib = GuestWorkloads.mebibytes(sizes.get(i));
            csv.row(mib, lines.get(i).writes() ? "write" : "read", r.mode(), r.prepaging(), r.dsb(), p.seed(),
                    r.totalMigrationMs(), r.prepareMs(), r.postCopyMs(), r.downtimeMs(), r.downtimeFrom(),
                    r.pagesTransferred(), r.vmPages(),
                    r.pagesSkippedBallooned(), r.bytesTransferred(), r.rounds(), r.networkFaults(), r.minorFaults(),
                    r.verified());
            byLine.computeIfAbsent(lines.get(i), k -> new LinkedHashMap<>())
                    .computeIfAbsent(mib, k -> new ArrayList<>()).add(r);
        }
        csv.write(c.file(CSV));

        String x = "working set (MiB, log scale)";
        plot(c, byLine, PNGS[0], "Fig. 4: total migration time", x, "total migration time (s)", false,
                r -> r.totalMigrationMs() / 1000);
        plot(c, byLine, PNGS[1], "Fig. 5: downtime", x, "downtime (ms, log scale)", true, MigrationReport::downtimeMs);
        plot(c, byLine, PNGS[2], "Fig. 6: pages sent", x, "4 KiB pages sent", false,
                r -> (double) r.pagesTransferred());
        return summary(c, byLine);
    }

    private static String workload(boolean writes, String wss) {
        return (writes ? "stress-write:" : "stress-read:") + wss;
    }

    private static void plot(PaperContext c, Map<Line, Map<Double, List<MigrationReport>>> byLine, String file,
                             String title, String x, String y, boolean logY, ToDoubleFunction<MigrationReport> f) {
        List<Charts.Series> series = new ArrayList<>();
        byLine.forEach((line, points) -> {
            double[] xs = new double[points.size()];
            double[] ys = new double[points.size()];
            int i = 0;
            for (Map.Entry<Double, List<MigrationReport>> e : points.entrySet()) {
                xs[i] = e.getKey();
                ys[i++] = Stats.median(e.getValue().stream().map(f::applyAsDouble).toList());
            }
            series.add(new Charts.Series(line.label(), xs, ys, (line.writes() ? 0 : 2)
                    + (line.mode() == MigrationMode.POSTCOPY ? 0 : 1), !line.dsb()));
        });
        JFreeChart chart = Charts.lines(title, x, y, series, true, logY);
        Charts.subtitle(chart, "stress test, " + c.setup());
        Charts.save(chart, c.file(file));
    }

    private static String summary(PaperContext c, Map<Line, Map<Double, List<MigrationReport>>> byLine) {
        StringBuilder sb = new StringBuilder();
        sb.append("### Fig. 4–6: stress test, working set sweep (medians)\n\n");
        sb.append("| line | working set MiB | total s | downtime ms | pages sent | pages ballooned | verified |\n");
        sb.append("|---|---|---|---|---|---|---|\n");
        byLine.forEach((line, points) -> points.forEach((mib, rs) -> sb.append(String.format(Locale.ROOT,
                "| %s | %.0f | %.1f | %.1f | %.0f | %.0f | %s |%n", line.label(), mib,
                Stats.median(rs.stream().map(r -> r.totalMigrationMs() / 1000).toList()),
                Stats.median(rs.stream().map(MigrationReport::downtimeMs).toList()),
                Stats.median(rs.stream().map(r -> (double) r.pagesTransferred()).toList()),
                Stats.median(rs.stream().map(r -> (double) r.pagesSkippedBallooned()).toList()),
                rs.stream().allMatch(MigrationReport::verified)))));
        return sb.append('\n').toString();
    }
}
