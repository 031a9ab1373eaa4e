package org.xenpostcopy.migration.evacuation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.report.MigrationReport;

/** Rates and fairness on canned figures. */
class LinkShareTest {
    private static LinkShare.Transfer t(String sender, double mbPerS) {
        return new LinkShare.Transfer(sender, mbPerS);
    }

    @Test
    void jainIsOneForEqualSharesAndOneOverNWhenOneTakesAll() {
        assertEquals(1.0, LinkShare.jain(new double[] {5, 5, 5, 5}), 1e-12);
        assertEquals(0.25, LinkShare.jain(new double[] {9, 0, 0, 0}), 1e-12);
        // (1 + 2 + 3)² / (3 · (1 + 4 + 9)) = 36 / 42
        assertEquals(36.0 / 42, LinkShare.jain(new double[] {1, 2, 3}), 1e-12);
        assertEquals(1.0, LinkShare.jain(new double[] {0, 0}), 1e-12);
    }

    @Test
    void aHostSendingThreeGivesEachAThirdAndThatIsFairBesideAHostSendingTwo() {
        // h1's link carries three migrations at 10 MB/s each, h3's two at 15: each got its fair share of a 30 MB/s link.
        LinkShare s = LinkShare.of(List.of(t("h1", 10), t("h1", 10), t("h1", 10), t("h3", 15), t("h3", 15)));
        assertEquals(10, s.minMBps());
        assertEquals(10, s.medianMBps());
        assertEquals(15, s.maxMBps());
        assertEquals(Map.of("h1", 1.0, "h3", 1.0), s.jainBySender());
        assertEquals(1.0, s.jainOfShares(), 1e-12);
        assertEquals(3600.0 / (5 * 750), s.jain(), 1e-12);   // raw rates look less fair: 60² / (5 · 750) = 0.96
    }

    @Test
    void oneStarvedMigrationShowsOnItsSender() {
        LinkShare s = LinkShare.of(List.of(t("h1", 20), t("h1", 4), t("h2", 12), t("h2", 12)));
        assertEquals(12, s.medianMBps());   // sorted 4, 12, 12, 20: the mean of the middle two
        assertEquals(4, s.minMBps());
        assertEquals(24.0 * 24 / (2 * (400 + 16)), s.jainBySender().get("h1"), 1e-12);
        assertEquals(1.0, s.jainBySender().get("h2"), 1e-12);
    }

    @Test
    void theRateIsBytesToTheDestinationOverThePostCopyPhase() {
        MigrationReport postcopy = MigrationReport.fromJson(
                "{\"mode\":\"postcopy\",\"bytesToDestination\":50000000,\"postCopyMs\":2000,\"totalMigrationMs\":2500}");
        assertEquals(25.0, LinkShare.rateMBps(postcopy), 1e-12);
        MigrationReport precopy = MigrationReport.fromJson(
                "{\"mode\":\"precopy\",\"bytesToDestination\":50000000,\"postCopyMs\":0,\"totalMigrationMs\":5000}");
        assertEquals(10.0, LinkShare.rateMBps(precopy), 1e-12);
    }

    @Test
    void nothingToCompareIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> LinkShare.of(List.of()));
        assertThrows(IllegalArgumentException.class, () -> t("h1", -1));
    }
}
