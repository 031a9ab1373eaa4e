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
}
