package org.xenpostcopy.migration.bench.paper;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.JFreeChart;
import org.xenpostcopy.migration.MigrationMode;

/**
 * Fig. 9–10 of the paper: bandwidth over time while netperf's guest is migrated, post-copy (Fig. 9) and pre-copy
 * (Fig. 10). Drawn from Fig. 7–8's netperf runs (the first seed; without DSB where the scale ran that, else with it):
 * the migration's bytes on the wire, as the relays counted them, and the stand-in's own rate, both per
 * {@link GuestTrace#PERIOD_MS} ms.
 */
final class BandwidthTrace {
    static final String NAME = "fig9-10";
    static final String CSV = "fig9-10-bandwidth.csv";
    static final String PNG_POSTCOPY = "fig9-postcopy-bandwidth.png";
    static final String PNG_PRECOPY = "fig10-precopy-bandwidth.png";

    private BandwidthTrace() {
    }

    static String run(PaperContext c, List<AppCompletion.Run> runs) {
        CsvTable csv = new CsvTable("figure", "mode", "dsb", "seconds", "wire_mbit_s", "netperf_mbit_s");
        StringBuilder sb = new StringBuilder("### Fig. 9–10: bandwidth during netperf's migrations\n\n");
        sb.append("| figure | mode | DSB | netperf before, Mbit/s | lowest 100 ms during | wire peak Mbit/s "
                + "| relay bytes / report bytes |\n|---|---|---|---|---|---|---|\n");
        figure(c, runs, MigrationMode.POSTCOPY, "Fig. 9", PNG_POSTCOPY, csv, sb);
        figure(c, runs, MigrationMode.PRECOPY, "Fig. 10", PNG_PRECOPY, csv, sb);
        csv.write(c.file(CSV));
        return sb.append('\n').toString();
    }

    private static void figure(PaperContext c, List<AppCompletion.Run> runs, MigrationMode mode, String fig,
                               String png, CsvTable csv, StringBuilder sb) {
        AppCompletion.Run run = pick(runs, mode);
        List<GuestTrace.Sample> s = run.trace();
        int n = s.size() - 1;
        double[] t = new double[n];
        double[] wire = new double[n];
        double[] app = new double[n];
        for (int i = 0; i < n; i++) {
            GuestTrace.Sample a = s.get(i);
            GuestTrace.Sample b = s.get(i + 1);
            double dt = b.seconds() - a.seconds();
            t[i] = b.seconds();
            wire[i] = (b.wireBytes() - a.wireBytes()) * 8 / dt / 1e6;
            app[i] = (b.ops() - a.ops()) * AppCompletion.NETPERF_BITS_PER_OP / dt / 1e6;
            csv.row(fig, mode.wireName(), run.config().dsb(), t[i], wire[i], app[i]);
        }
        String label = (mode == MigrationMode.POSTCOPY ? "post-copy" : "pre-copy")
                + (run.config().dsb() ? ", DSB" : "");
        JFreeChart chart = Charts.twoAxes(fig + ": netperf during " + label + " migration, out and back",
                "time (s)", "migration traffic on the wire (Mbit/s)",
                List.of(new Charts.Series("migration bytes at the socket, both ways", t, wire)),
                "netperf stand-in (Mbit/s of buffer pages written)",
                List.of(new Charts.Series("netperf stand-in", t, app)));
        Charts.subtitle(chart, c.setup().replaceFirst(", median of .*", "") + ", one run");
        List<double[]> w = run.migrationWindows();
        for (int i = 0; i < w.size(); i++) {
            Charts.mark(chart, w.get(i)[0], i == 0 ? "out" : "back");
        }
        if (!w.isEmpty()) {
            Charts.mark(chart, w.get(w.size() - 1)[1], "both done", true);
        }
        Charts.save(chart, c.file(png));

        double before = 0;
        int k = 0;
        double lowest = Double.MAX_VALUE;
        double peak = 0;
        for (int i = 0; i < n; i++) {
            if (!w.isEmpty() && t[i] <= w.get(0)[0]) {
                before += app[i];
                k++;
            } else if (!w.isEmpty() && t[i] <= w.get(w.size() - 1)[1]) {
                lowest = Math.min(lowest, app[i]);
            }
            peak = Math.max(peak, wire[i]);
        }
        long reported = run.reports().stream().mapToLong(r -> r.bytesTransferred()).sum();
        sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %.0f | %.0f | %.0f | %.3f |%n", fig, mode.wireName(),
                run.config().dsb() ? "on" : "off", k == 0 ? Double.NaN : before / k,
                lowest == Double.MAX_VALUE ? Double.NaN : lowest, peak,
                (double) s.get(n).wireBytes() / Math.max(1, reported)));
    }

    private static AppCompletion.Run pick(List<AppCompletion.Run> runs, MigrationMode mode) {
        List<AppCompletion.Run> candidates = new ArrayList<>();
        for (boolean dsb : new boolean[] {false, true}) {
            candidates.addAll(AppCompletion.select(runs, "netperf", new AppCompletion.Config(mode, dsb)));
        }
        if (candidates.isEmpty()) {
            throw new IllegalStateException("no netperf run migrated " + mode.wireName());
        }
        return candidates.get(0);
    }
}
