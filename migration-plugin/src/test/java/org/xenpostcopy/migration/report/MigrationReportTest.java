package org.xenpostcopy.migration.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** The report's JSON is public interface: its names, and readers and writers of different ages. */
class MigrationReportTest {
    private static final ObjectMapper TREE = new ObjectMapper();

    private static final MigrationReport.PagerWaits WAITS = new MigrationReport.PagerWaits(
            new MigrationReport.Waits(12, new MigrationReport.FaultLatency(3_000, 8_000, 9_000)),
            new MigrationReport.Waits(40, new MigrationReport.FaultLatency(5_000, 31_000, 44_000)),
            new MigrationReport.Waits(7, new MigrationReport.FaultLatency(20, 90, 110)));

    private static MigrationReport report(MigrationReport.PagerWaits waits) {
        return new MigrationReport("postcopy", "bubble", true, 10, 1.5, 0.5, "guest", 9, 36_936, 36_000, 936, 0, 1,
                3, 2, 1, 5, 0.4, new MigrationReport.FaultLatency(10, 20, 30),
                new MigrationReport.FaultLatency(8, 18, 28), 100, 90, true, 0, "ok", 1, 2, 3, 4, 0,
                MigrationReport.Recovery.NONE, waits, 1234.5);
    }

    @Test
    void roundTripsUnderThePublicFieldNames() {
        MigrationReport m = report(WAITS);
        String json = m.toJson();
        for (String field : new String[] {"mode", "prepaging", "dsb", "vmPages", "totalMigrationMs", "downtimeMs",
                "downtimeFrom", "pagesTransferred", "bytesTransferred", "bytesToDestination", "bytesToSource",
                "pagerLatencyUs", "pagesSkippedBallooned", "networkFaults", "minorFaults", "guestPagesTouched",
                "networkFaultRatio", "faultLatencyUs", "p50", "p99", "max", "appThroughputBaseline",
                "appThroughputDuring", "verified", "mismatchedPages", "pagerWaitsByArrival", "byFetch", "byPush",
                "alreadyHere", "requests", "latencyUs", "linkWaitMs"}) {
            assertTrue(json.contains("\"" + field + "\""), field);
        }
        assertEquals(m, MigrationReport.fromJson(json));
    }

    @Test
    void theWaitsCarryTheirUnitInTheirName() throws Exception {
        ObjectNode byFetch = (ObjectNode) TREE.readTree(report(WAITS).toJson()).get("pagerWaitsByArrival")
                .get("byFetch");
        assertEquals(12, byFetch.get("requests").asLong());
        assertEquals(8_000, byFetch.get("latencyUs").get("p99").asDouble());
    }

    @Test
    void aReportWrittenBeforeLinkWaitMsReadsItAsNoWait() throws Exception {
        ObjectNode tree = (ObjectNode) TREE.readTree(report(WAITS).toJson());
        assertEquals(1234.5, tree.get("linkWaitMs").asDouble());
        tree.remove("linkWaitMs");
        assertEquals(0, MigrationReport.fromJson(tree.toString()).linkWaitMs());
    }

    @Test
    void aReportWrittenBeforeTheSplitReadsItAsNotCounted() throws Exception {
        ObjectNode tree = (ObjectNode) TREE.readTree(report(WAITS).toJson());
        tree.remove("pagerWaitsByArrival");
        assertEquals(MigrationReport.PagerWaits.UNKNOWN,
                MigrationReport.fromJson(tree.toString()).pagerWaitsByArrival());
    }

    @Test
    void aSplitWrittenBeforeAlreadyHereReadsThatBucketAsNotCounted() throws Exception {
        ObjectNode tree = (ObjectNode) TREE.readTree(report(WAITS).toJson());
        ((ObjectNode) tree.get("pagerWaitsByArrival")).remove("alreadyHere");
        MigrationReport.PagerWaits read = MigrationReport.fromJson(tree.toString()).pagerWaitsByArrival();
        assertEquals(WAITS.byFetch(), read.byFetch());
        assertEquals(MigrationReport.Waits.UNKNOWN, read.alreadyHere());
    }

    @Test
    void theSplitsFirstFormWithItsPercentilesBesideTheCountStillReads() throws Exception {
        ObjectNode tree = (ObjectNode) TREE.readTree(report(WAITS).toJson());
        ObjectNode byFetch = (ObjectNode) tree.get("pagerWaitsByArrival").get("byFetch");
        byFetch.remove("latencyUs");
        byFetch.put("p50", 3_000.0).put("p99", 8_000.0).put("max", 9_000.0);
        assertEquals(WAITS.byFetch(), MigrationReport.fromJson(tree.toString()).pagerWaitsByArrival().byFetch());
    }

    @Test
    void aBucketWithoutItsCountOrWithoutAnyPartReadsAsNotCounted() throws Exception {
        ObjectNode tree = (ObjectNode) TREE.readTree(report(WAITS).toJson());
        ObjectNode split = (ObjectNode) tree.get("pagerWaitsByArrival");
        ((ObjectNode) split.get("byPush")).remove("requests");
        split.remove("byFetch");
        MigrationReport.PagerWaits read = MigrationReport.fromJson(tree.toString()).pagerWaitsByArrival();
        assertEquals(-1, read.byPush().requests(), "a count not written is not a count of none");
        assertEquals(WAITS.byPush().latencyUs(), read.byPush().latencyUs());
        assertEquals(MigrationReport.Waits.UNKNOWN, read.byFetch());
    }

    @Test
    void aReportFromANewerDaemonReadsWithItsNewFieldsDropped() throws Exception {
        MigrationReport m = report(WAITS);
        ObjectNode tree = (ObjectNode) TREE.readTree(m.toJson());
        tree.put("aFieldOfTheFuture", 42);
        ((ObjectNode) tree.get("recovery")).put("anotherOne", "x");
        assertEquals(m, MigrationReport.fromJson(tree.toString()));
    }
}
