package org.xenpostcopy.migration.bench.paper;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.report.MigrationReport;

/**
 * Post-copy migrations of several workloads under several pre-paging policies, with DSB, and their fault split as
 * the report counts it: network faults (the page had to be fetched) and minor faults (pre-paging had brought it),
 * each a share of the pages the guest touched at the destination. Table 2 and the policy comparison are two cuts
 * of such runs.
 */
final class PolicyRuns {
    /** The runs of one workload under one policy. */
    record Cell(String workload, PrePaging policy, List<MigrationReport> reports) {
        double networkPct() {
            return Stats.median(reports.stream().map(r -> 100 * r.networkFaultRatio()).toList());
        }

        double minorPct() {
            return Stats.median(reports.stream()
                    .map(r -> 100.0 * r.minorFaults() / Math.max(1, r.guestPagesTouched())).toList());
        }

        boolean verified() {
            return reports.stream().allMatch(MigrationReport::verified);
        }
    }

    private PolicyRuns() {
    }

    static List<Cell> measure(PaperContext c, String experiment, List<String> workloads, List<PrePaging> policies) {
        List<SingleMigrations.Point> points = new ArrayList<>();
        for (String w : workloads) {
            for (PrePaging p : policies) {
                for (int seed = 1; seed <= c.runs(); seed++) {
                    points.add(new SingleMigrations.Point(w, MigrationMode.POSTCOPY, p, true, seed));
                }
            }
        }
        List<MigrationReport> reports = c.measure(experiment, points);
        Map<String, Cell> cells = new LinkedHashMap<>();
        for (int i = 0; i < points.size(); i++) {
            SingleMigrations.Point p = points.get(i);
            cells.computeIfAbsent(p.workload() + "/" + p.prepaging(), k -> new Cell(p.workload(), p.prepaging(),
                    new ArrayList<>())).reports().add(reports.get(i));
        }
        return List.copyOf(cells.values());
    }

    static CsvTable csv(List<Cell> cells) {
        CsvTable csv = new CsvTable("workload", "policy", "seed", "network_faults", "minor_faults", "pages_touched",
                "network_fault_pct", "minor_fault_pct", "fault_p50_us", "fault_p99_us", "pages_sent", "post_copy_ms",
                "total_ms", "verified");
        for (Cell cell : cells) {
            int seed = 1;
            for (MigrationReport r : cell.reports()) {
                csv.row(cell.workload(), cell.policy().wireName(), seed++, r.networkFaults(), r.minorFaults(),
                        r.guestPagesTouched(), 100 * r.networkFaultRatio(),
                        100.0 * r.minorFaults() / Math.max(1, r.guestPagesTouched()), r.faultLatencyUs().p50(),
                        r.faultLatencyUs().p99(), r.pagesTransferred(), r.postCopyMs(), r.totalMigrationMs(),
                        r.verified());
            }
        }
        return csv;
    }

    static List<Charts.Bar> networkBars(List<Cell> cells) {
        List<Charts.Bar> bars = new ArrayList<>();
        cells.forEach(cell -> bars.add(new Charts.Bar(cell.policy().wireName(), cell.workload(), cell.networkPct())));
        return bars;
    }
}
