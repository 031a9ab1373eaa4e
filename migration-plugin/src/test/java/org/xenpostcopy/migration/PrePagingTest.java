package org.xenpostcopy.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PrePagingTest {
    @Test
    void everyPolicyParsesFromTheNameItIsReportedBy() {
        for (PrePaging p : PrePaging.values()) {
            assertEquals(p, PrePaging.parse(p.wireName()));
            assertEquals(p, PrePaging.fromReport(p.wireName()));
        }
        assertEquals(PrePaging.BUBBLE_FORWARD, PrePaging.parse(" Bubble-Forward "));
    }

    @Test
    void theOldNameOfDemandPagingStillWorks() {
        assertEquals(PrePaging.DEMAND, PrePaging.parse("none"));
        assertNull(PrePaging.fromReport("none"), "a pre-copy report's 'none' is no policy");
    }

    @Test
    void anUnknownNameIsRefusedNamingTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PrePaging.parse("bubbles"));
        assertTrue(e.getMessage().contains("demand, push, bubble-forward, bubble, multibubble"), e.getMessage());
    }
}
