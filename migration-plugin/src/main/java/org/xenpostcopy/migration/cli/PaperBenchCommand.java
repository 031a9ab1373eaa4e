package org.xenpostcopy.migration.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.xenpostcopy.migration.bench.paper.PaperBench;
import org.xenpostcopy.migration.bench.paper.PaperScale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code xlpc bench paper}: the paper's evaluation reproduced, a CSV and a PNG per figure or table. */
@Command(name = "paper", description = "Reproduce the evaluation of Hines & Gopalan (VEE 2009) on emulated hosts "
        + "over a shaped 1 Gbit/s link: Fig. 4-6 (working-set sweep), Table 2 (network vs minor faults), the "
        + "pre-paging policies side by side, Fig. 7-8 (kernel compile and netperf migrated out and back), Fig. 9-10 "
        + "(bandwidth over time), Fig. 11 (DSB interval). Writes a CSV and a PNG per experiment and summary.md; a "
        + "progress line per run on stderr. Full: a 2 GiB guest and the paper's grid (an hour or more); --quick: "
        + "1 GiB and fewer points (about 5 minutes). See docs/PAPER.md.")
final class PaperBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--quick", description = "A 1 GiB guest and a reduced grid: every figure, fewer points.")
    boolean quick;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the CSVs and PNGs go (default: bench-out/paper).")
    Path out = Path.of("bench-out", "paper");

    @Option(names = "--runs", paramLabel = "N", description = "Seeded runs per point; plots show the median "
            + "(default: 1).")
    int runs = 1;

    @Option(names = "--only", split = ",", paramLabel = "EXPERIMENT", description = "Only these experiments: fig4-6, "
            + "table2, prepaging, fig7-8, fig9-10, fig11 (fig9-10 is drawn from fig7-8's runs).")
    List<String> only = List.of();

    @Override
    public Integer call() {
        if (runs < 1) {
            throw new ParameterException(spec.commandLine(), "--runs must be at least 1, not " + runs);
        }
        for (String name : only) {
            if (!PaperBench.EXPERIMENTS.contains(name)) {
                throw new ParameterException(spec.commandLine(), "unknown experiment '" + name
                        + "' for --only; expected one of " + String.join(", ", PaperBench.EXPERIMENTS));
            }
        }
        String summary = PaperBench.run(quick ? PaperScale.quick() : PaperScale.full(), out, runs, only, System.err);
        spec.commandLine().getOut().print(summary);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
