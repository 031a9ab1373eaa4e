package org.xenpostcopy.migration.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.evacuation.EvacuationReport;
import org.xenpostcopy.migration.evacuation.GuestOutcome;
import org.xenpostcopy.migration.evacuation.GuestToMove;
import org.xenpostcopy.migration.report.MigrationReport;

class EvacuationTableTest {

    @Test
    void aGuestThatWentLastShowsHowMuchOfItsTotalWasItsWaitForTheLink() throws Exception {
        MigrationReport last = MigrationReport.fromJson("{\"totalMigrationMs\": 14300, \"linkWaitMs\": 12300,"
                + " \"downtimeMs\": 12.5, \"pagesTransferred\": 16384, \"verified\": true}");
        EvacuationReport report = new EvacuationReport("h1", 2, List.of(
                new GuestOutcome(new GuestToMove("e5", 768 * 1024), "h3", GuestOutcome.Result.MOVED, "",
                        Optional.of(last), 14_400),
                new GuestOutcome(new GuestToMove("big", 64 * 1024 * 1024), "", GuestOutcome.Result.NOT_MOVED,
                        "no host has 64 GiB free", Optional.empty(), 0)), 18_300);

        List<String> lines = EvacuationTable.format(report).lines().toList();

        assertEquals(List.of("guest", "size", "to", "outcome", "total", "waited", "downtime", "pages", "sent",
                "verified"), List.of(lines.get(0).split("\\s+")));
        assertEquals(List.of("e5", "768", "MiB", "h3", "moved", "14.3", "s", "12.3", "s", "12.5", "ms", "16384", "yes"),
                List.of(lines.get(1).split("\\s+")));
        assertEquals(List.of("big", "65536", "MiB", "-", "not-moved", "-", "-", "-", "-", "-"),
                List.of(lines.get(2).split("\\s+")));
        assertTrue(lines.contains("big: not-moved: no host has 64 GiB free"), String.join("\n", lines));
        assertEquals(12_300, new ObjectMapper().readTree(report.toJson()).get("guests").get(0).get("linkWaitMs")
                .asDouble(), "and beside the total in --json");
    }
}
