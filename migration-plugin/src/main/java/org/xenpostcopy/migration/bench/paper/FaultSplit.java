package org.xenpostcopy.migration.bench.paper;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.JFreeChart;
import org.xenpostcopy.migration.PrePaging;

/**
 * Table 2 of the paper: the share of network and minor faults with push only (no pre-paging: the paper's "flushing")
 * against the paper's bubble, per working set of the write-intensive stress test (and kernel-compile and netperf
 * where the scale names them).
 */
final class FaultSplit {
    static final String NAME = "table2";
    static final String CSV = "table2-faults.csv";
    static final String PNG = "table2-network-faults.png";

    private FaultSplit() {
    }

    static String run(PaperContext c) {
        List<String> workloads = new ArrayList<>();
        c.scale().faultSizes().forEach(wss -> workloads.add("stress-write:" + wss));
        workloads.addAll(c.scale().faultAppWorkloads());
        List<PolicyRuns.Cell> cells = PolicyRuns.measure(c, NAME, workloads, List.of(PrePaging.PUSH, PrePaging.BUBBLE));
        PolicyRuns.csv(cells).write(c.file(CSV));
        JFreeChart chart = Charts.bars("Table 2: network faults, push only vs bubbling", "workload",
                "network faults (% of pages touched)", PolicyRuns.networkBars(cells));
        Charts.subtitle(chart, "post-copy with DSB, " + c.setup());
        Charts.save(chart, c.file(PNG));

        StringBuilder sb = new StringBuilder("### Table 2: network / minor faults, % of pages touched (medians)\n\n");
        sb.append("| workload | push: network | push: minor | bubble: network | bubble: minor | verified |\n");
        sb.append("|---|---|---|---|---|---|\n");
        for (int i = 0; i + 1 < cells.size(); i += 2) {
            PolicyRuns.Cell push = cells.get(i);
            PolicyRuns.Cell bubble = cells.get(i + 1);
            sb.append(String.format(Locale.ROOT, "| %s | %.1f %% | %.1f %% | %.1f %% | %.1f %% | %s |%n",
                    push.workload(), push.networkPct(), push.minorPct(), bubble.networkPct(), bubble.minorPct(),
                    push.verified() && bubble.verified()));
        }
        return sb.append('\n').toString();
    }
}
