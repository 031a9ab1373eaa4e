package org.xenpostcopy.migration.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.report.MigrationReport;

class ReportTableTest {
    private static MigrationReport report(String prepaging, long network, long minor, long touched) {
        return report(prepaging, network, minor, touched, MigrationReport.Recovery.NONE);
    }

    private static MigrationReport report(String prepaging, long network, long minor, long touched,
                                          MigrationReport.Recovery recovery) {
        return new MigrationReport("postcopy", prepaging, false, 262_144, 9000, 40, "guest", 262_144,
                1_075_000_000L, 1_070_000_000L, 5_000_000L, 0, 0, -1,
                network, minor, touched, MigrationReport.networkFaultRatio(network, touched),
                new MigrationReport.FaultLatency(400, 2000, 9000), new MigrationReport.FaultLatency(300, 1900, 8000),
                50_000, 40_000, true, 0, "ok", 500, 8000, 1, 1, 0,
                recovery);
    }

    @Test
    void checkpointsShowOnlyWhenThereWereAny() {
        assertFalse(ReportTable.format(report("bubble", 1, 1, 2)).contains("checkpoints"));
        String table = ReportTable.format(report("bubble", 1, 1, 2,
                new MigrationReport.Recovery(0, 0, 0, 3, 4000, 16_416_000, 12.5, 2)));
        assertTrue(table.contains("3 committed (4000 pages, 16.4 MB), guest paused 12.5 ms for them, 2 put off"), table);
        assertFalse(table.contains("link cuts"), table);
    }

    @Test
    void bytesOnTheWireShowBothWaysAndTheVcpusWaitBesideThePagers() {
        String table = ReportTable.format(report("bubble", 1, 1, 2));
        assertTrue(table.contains("1075.0 MB at the sockets (1070.0 MB to the destination, 5.0 MB back)"), table);
        assertTrue(table.contains("p50 400 us, p99 2000 us, max 9000 us (vCPU blocked)"), table);
        assertTrue(table.contains("p50 300 us, p99 1900 us, max 8000 us (ring to answer)"), table);
    }

    @Test
    void namesThePolicyUsedAndThePapersFaultClasses() {
        String table = ReportTable.format(report("bubble", 3609, 62185, 65794));
        assertTrue(table.contains("postcopy (bubble: the paper's dual-direction bubble)"), table);
        assertTrue(table.contains("3609 (5.5% of 65794 pages the guest touched)"), table);
        assertTrue(table.contains("minor faults         62185 (first touches of pre-paged pages)"), table);
    }

    @Test
    void aHostThatCannotCountTouchesShowsNoShareAndNoMinorFaults() {
        String table = ReportTable.format(report("bubble-forward", 12, -1, -1));
        assertTrue(table.contains("forward-only bubble"), table);
        assertTrue(table.contains("network faults       12\n") || table.contains("network faults       12" + System.lineSeparator()),
                table);
        assertFalse(table.contains("minor faults"), table);
    }
}
