package org.xenpostcopy.migration.bench.paper;

import java.util.List;
import java.util.Locale;
import org.jfree.chart.JFreeChart;
import org.xenpostcopy.migration.PrePaging;

/**
 * The pre-paging policies side by side, as the OSR'09 version of the paper compares them: demand paging, linear
 * push, our forward-only bubble, the paper's bubble and multi-pivot bubble, each a post-copy with DSB.
 */
final class PrePagingComparison {
    static final String NAME = "prepaging";
    static final String CSV = "prepaging-policies.csv";
    static final String PNG = "prepaging-policies.png";

    private PrePagingComparison() {
    }

    static String run(PaperContext c) {
        List<PolicyRuns.Cell> cells = PolicyRuns.measure(c, NAME, c.scale().policyWorkloads(),
                List.of(PrePaging.values()));
        PolicyRuns.csv(cells).write(c.file(CSV));
        JFreeChart chart = Charts.bars("Pre-paging policies: network faults", "workload",
                "network faults (% of pages touched)", PolicyRuns.networkBars(cells));
        Charts.subtitle(chart, "post-copy with DSB, " + c.setup());
        Charts.save(chart, c.file(PNG));

        StringBuilder sb = new StringBuilder("### Pre-paging policies (medians)\n\n");
        sb.append("| workload | policy | network faults | minor faults | fault p50 µs | post-copy ms | verified |\n");
        sb.append("|---|---|---|---|---|---|---|\n");
        for (PolicyRuns.Cell cell : cells) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.1f %% | %.1f %% | %.0f | %.0f | %s |%n",
                    cell.workload(), cell.policy().wireName(), cell.networkPct(), cell.minorPct(),
                    Stats.median(cell.reports().stream().map(r -> r.faultLatencyUs().p50()).toList()),
                    Stats.median(cell.reports().stream().map(r -> r.postCopyMs()).toList()), cell.verified()));
        }
        return sb.append('\n').toString();
    }
}
