package org.xenpostcopy.migration.bench.paper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code xlpc bench paper} at its smallest (a 160 MiB guest, one point per experiment): every CSV has the columns
 * the docs describe and at least one row, every migration in it verified, and every PNG is an image. Nothing about
 * the numbers themselves is asserted: performance is measured, not tested.
 */
@Tag("slow")
class PaperBenchTest {
    @TempDir
    static Path out;
    static String summary;
    static String progress;

    private static final Map<String, List<String>> COLUMNS = Map.of(
            WorkingSetSweep.CSV, List.of("working_set_mib", "access", "mode", "prepaging", "dsb", "seed", "total_ms",
                    "prepare_ms", "post_copy_ms", "downtime_ms", "downtime_from", "pages_sent", "vm_pages",
                    "pages_ballooned", "bytes_transferred",
                    "rounds", "network_faults", "minor_faults", "verified"),
            FaultSplit.CSV, List.of("workload", "policy", "seed", "network_faults", "minor_faults", "pages_touched",
                    "network_fault_pct", "minor_fault_pct", "fault_p50_us", "fault_p99_us", "pages_sent",
                    "post_copy_ms", "total_ms", "verified"),
            PrePagingComparison.CSV, List.of("workload", "policy", "seed", "network_faults", "minor_faults",
                    "pages_touched", "network_fault_pct", "minor_fault_pct", "fault_p50_us", "fault_p99_us",
                    "pages_sent", "post_copy_ms", "total_ms", "verified"),
            AppCompletion.CSV, List.of("workload", "config", "mode", "dsb", "seed", "job_ops", "completion_s",
                    "ops_per_s", "netperf_mbit_s", "migrations", "total_ms_out", "total_ms_back", "prepare_ms_out",
                    "prepare_ms_back", "downtime_ms_out",
                    "downtime_ms_back", "pages_sent_out", "pages_sent_back", "bytes_transferred_reports",
                    "bytes_relayed", "migrations_outlasted_job", "verified"),
            BandwidthTrace.CSV, List.of("figure", "mode", "dsb", "seconds", "wire_mbit_s", "netperf_mbit_s"),
            BalloonInterval.CSV, List.of("interval_s", "seed", "window_s", "ops_per_s_without_dsb",
                    "ops_per_s_with_dsb", "slowdown_pct", "original_target_kib", "target_kib_at_end", "used_kib",
                    "pressure_events", "adjustments"));

    private static final List<String> PNGS = List.of(WorkingSetSweep.PNGS[0], WorkingSetSweep.PNGS[1],
            WorkingSetSweep.PNGS[2], FaultSplit.PNG, PrePagingComparison.PNG, AppCompletion.PNG_COMPILE,
            AppCompletion.PNG_NETPERF, BandwidthTrace.PNG_POSTCOPY, BandwidthTrace.PNG_PRECOPY, BalloonInterval.PNG);

    @BeforeAll
    static void runTheSmallestBench() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        summary = PaperBench.run(PaperScale.tiny(), out, 1, List.of(),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        progress = err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void everyCsvHasItsColumnsAndRowsAndEveryMigrationVerified() throws IOException {
        for (Map.Entry<String, List<String>> e : COLUMNS.entrySet()) {
            List<String> lines = Files.readAllLines(out.resolve(e.getKey()), StandardCharsets.UTF_8);
            assertEquals(e.getValue(), cells(lines.get(0)), e.getKey() + ": header");
            assertTrue(lines.size() > 1, e.getKey() + " has no rows");
            int verified = e.getValue().indexOf("verified");
            for (String row : lines.subList(1, lines.size())) {
                List<String> cells = cells(row);
                assertEquals(e.getValue().size(), cells.size(), e.getKey() + ": " + row);
                if (verified >= 0) {
                    assertEquals("true", cells.get(verified), e.getKey() + ": a migration did not verify: " + row);
                }
            }
        }
    }

    /** The cells of one CSV line (RFC 4180: a quoted cell may hold commas, a doubled quote is a quote). */
    private static List<String> cells(String line) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted && ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                cell.append('"');
                i++;
            } else if (ch == '"') {
                quoted = !quoted;
            } else if (ch == ',' && !quoted) {
                cells.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(ch);
            }
        }
        cells.add(cell.toString());
        return cells;
    }

    @Test
    void everyPlotIsAReadableImage() throws IOException {
        for (String png : PNGS) {
            BufferedImage image = ImageIO.read(out.resolve(png).toFile());
            assertNotNull(image, png + " is not an image");
            assertEquals(Charts.WIDTH, image.getWidth(), png);
            assertEquals(Charts.HEIGHT, image.getHeight(), png);
        }
    }

    @Test
    void aProgressLinePerRunAndASummary() throws IOException {
        for (String experiment : PaperBench.EXPERIMENTS) {
            if (!experiment.equals(BandwidthTrace.NAME)) {
                assertTrue(progress.contains("paper: " + experiment), "no progress line for " + experiment
                        + ":\n" + progress);
            }
        }
        assertTrue(progress.lines().allMatch(l -> l.startsWith("paper: ")), progress);
        assertEquals(summary, Files.readString(out.resolve(PaperBench.SUMMARY), StandardCharsets.UTF_8));
        assertFalse(summary.contains("NaN"), summary);
    }
}
