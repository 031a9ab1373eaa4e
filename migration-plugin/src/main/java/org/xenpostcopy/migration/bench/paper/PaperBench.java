package org.xenpostcopy.migration.bench.paper;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code xlpc bench paper}: every experiment of the paper's evaluation in turn, each writing its CSV and PNG into one
 * directory, then {@code summary.md} there (the medians, as Markdown, also returned).
 */
public final class PaperBench {
    /** The experiments by the names {@code --only} takes, in the order they run. */
    public static final List<String> EXPERIMENTS = List.of(WorkingSetSweep.NAME, FaultSplit.NAME,
            PrePagingComparison.NAME, AppCompletion.NAME, BandwidthTrace.NAME, BalloonInterval.NAME);
    public static final String SUMMARY = "summary.md";

    private PaperBench() {
    }

    /**
     * Runs the experiments named in {@code only} (all if empty) at {@code scale}, {@code runs} seeded runs per point,
     * writing into {@code out}; a progress line per run on {@code err}. Fig. 9–10 are drawn from Fig. 7–8's runs,
     * so asking for either runs both.
     */
    public static String run(PaperScale scale, Path out, int runs, List<String> only, PrintStream err) {
        for (String name : only) {
            if (!EXPERIMENTS.contains(name)) {
                throw new IllegalArgumentException("unknown experiment '" + name + "'; expected one of " + EXPERIMENTS);
            }
        }
        Progress progress = new Progress(err);
        PaperContext c = new PaperContext(scale, out, runs, progress);
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "## xlpc bench paper (%s): %s%n%n", scale.name(), c.setup()));
        if (wanted(only, WorkingSetSweep.NAME)) {
            sb.append(WorkingSetSweep.run(c));
        }
        if (wanted(only, FaultSplit.NAME)) {
            sb.append(FaultSplit.run(c));
        }
        if (wanted(only, PrePagingComparison.NAME)) {
            sb.append(PrePagingComparison.run(c));
        }
        if (wanted(only, AppCompletion.NAME) || wanted(only, BandwidthTrace.NAME)) {
            List<AppCompletion.Run> apps = AppCompletion.run(c);
            sb.append(AppCompletion.summary(c, apps));
            sb.append(BandwidthTrace.run(c, apps));
        }
        if (wanted(only, BalloonInterval.NAME)) {
            sb.append(BalloonInterval.run(c));
        }
        sb.append(String.format(Locale.ROOT, "Wall time: %.0f s.%n", progress.elapsedSeconds()));
        try {
            Files.createDirectories(out);
            Files.writeString(out.resolve(SUMMARY), sb, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out.resolve(SUMMARY), e);
        }
        progress.note("done; CSVs, PNGs and " + SUMMARY + " in " + out);
        return sb.toString();
    }

    private static boolean wanted(List<String> only, String name) {
        return only.isEmpty() || only.contains(name);
    }
}
