package org.xenpostcopy.migration.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** After a revoke no grant is given, so the last grant bounds every lease the destination holds. */
class LeaseGrantsTest {
    @Test
    void noGrantAfterRevokeAndTheLastOneIsKept() {
        LeaseGrants g = new LeaseGrants();
        assertTrue(g.grant());
        long last = g.lastGrant();
        assertEquals(last, g.revoke());
        assertFalse(g.grant());
        assertFalse(g.grant());
        assertEquals(last, g.lastGrant(), "a refused grant must not move the last one");
        assertNull(g.takenBack());
        g.takenBack("restored");
        assertEquals("restored", g.takenBack());
    }
}
