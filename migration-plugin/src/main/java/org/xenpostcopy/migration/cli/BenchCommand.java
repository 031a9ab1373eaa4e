package org.xenpostcopy.migration.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.xenpostcopy.migration.bench.MigrationBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code xlpc bench [section...]}: the measurements behind docs/RESULTS.md, printed as Markdown. */
@Command(name = "bench", description = "Run the benchmark (emulated hosts, loopback) and print Markdown tables. "
        + "Sections: throughput, tls (throughput plain vs TLS, alternating), persistence (throughput in-memory vs "
        + "file-backed, alternating), checkpoints (reverse checkpoints off, every 1 s, every 5 s, rotating), "
        + "downtime, latency, faults, precopy, dsb (default: all but tls, persistence and checkpoints; "
        + "takes several minutes). `xlpc bench paper` reproduces the paper's figures (CSV + PNG).",
        subcommands = PaperBenchCommand.class)
final class BenchCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "SECTION")
    List<String> sections;

    @Override
    public Integer call() throws Exception {
        MigrationBench.main(sections == null ? new String[0] : sections.toArray(new String[0]));
        return 0;
    }
}
