package org.xenpostcopy.migration.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LatencyRecorderTest {
    @Test
    void percentilesByRank() {
        LatencyRecorder r = new LatencyRecorder();
        assertEquals(new LatencyRecorder.Percentiles(0, 0, 0), r.percentiles());
        for (int i = 1; i <= 100; i++) {
            r.record(i * 1000L);   // 1..100 us
        }
        LatencyRecorder.Percentiles p = r.percentiles();
        assertEquals(50.0, p.p50());
        assertEquals(99.0, p.p99());
        assertEquals(100.0, p.max());
    }

    @Test
    void reportJsonRoundTripsWithThePublicFieldNames() {
        MigrationReport m = new MigrationReport("postcopy", "bubble", true, 10, 1.5, 0.5, "guest", 9, 36_936, 36_000,
                936, 0, 1, 3, 2, 1, 5, 0.4, new MigrationReport.FaultLatency(10, 20, 30),
                new MigrationReport.FaultLatency(8, 18, 28), 100, 90, true, 0, "ok", 1, 2, 3, 4, 0, MigrationReport.Recovery.NONE);
        String json = m.toJson();
        for (String field : new String[] {"mode", "prepaging", "dsb", "vmPages", "totalMigrationMs", "downtimeMs",
                "downtimeFrom", "pagesTransferred", "bytesTransferred", "bytesToDestination", "bytesToSource", "pagerLatencyUs", "pagesSkippedBallooned", "networkFaults", "minorFaults", "guestPagesTouched", "networkFaultRatio",
                "faultLatencyUs", "p50", "p99", "max", "appThroughputBaseline", "appThroughputDuring", "verified",
                "mismatchedPages"}) {
            assertEquals(true, json.contains("\"" + field + "\""), field);
        }
        assertEquals(m, MigrationReport.fromJson(json));
    }

    @Test
    void thePagerWaitsByArrivalRoundTripAndAReportWrittenWithoutThemReadsThemAsNotCounted() throws Exception {
        MigrationReport.PagerWaits waits = new MigrationReport.PagerWaits(new MigrationReport.Waits(12, 3_000, 8_000, 9_000),
                new MigrationReport.Waits(40, 5_000, 31_000, 44_000));
        MigrationReport m = new MigrationReport("postcopy", "bubble", true, 10, 1.5, 0.5, "guest", 9, 36_936, 36_000,
                936, 0, 1, 3, 2, 1, 5, 0.4, new MigrationReport.FaultLatency(10, 20, 30),
                new MigrationReport.FaultLatency(8, 18, 28), 100, 90, true, 0, "ok", 1, 2, 3, 4, 0,
                MigrationReport.Recovery.NONE, waits);
        String json = m.toJson();
        for (String field : new String[] {"pagerWaitsByArrival", "byFetch", "byPush", "requests"}) {
            assertEquals(true, json.contains("\"" + field + "\""), field);
        }
        assertEquals(waits, MigrationReport.fromJson(json).pagerWaitsByArrival());
        com.fasterxml.jackson.databind.node.ObjectNode tree =
                (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        tree.remove("pagerWaitsByArrival");
        String older = tree.toString();
        assertEquals(MigrationReport.PagerWaits.UNKNOWN, MigrationReport.fromJson(older).pagerWaitsByArrival());
    }
}
