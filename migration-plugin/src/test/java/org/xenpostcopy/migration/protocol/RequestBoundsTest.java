package org.xenpostcopy.migration.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.protocol.thrift.TErrorCode;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;

/** Session ids, domain names and hosts a peer sends: short, of a small alphabet, refused otherwise. */
class RequestBoundsTest {
    @Test
    void aSourcesSessionIdIsAccepted() {
        assertTrue(RequestBounds.isSessionId(UUID.randomUUID().toString()));
        assertTrue(RequestBounds.isSessionId("s".repeat(RequestBounds.MAX_SESSION_ID)));
    }

    @Test
    void longEmptyOrForgingSessionIdsAreRefused() throws Exception {
        assertFalse(RequestBounds.isSessionId("s".repeat(RequestBounds.MAX_SESSION_ID + 1)));
        assertFalse(RequestBounds.isSessionId(""));
        assertFalse(RequestBounds.isSessionId(null));
        assertFalse(RequestBounds.isSessionId("s1\nWARNING: forged"));
        assertFalse(RequestBounds.isSessionId("s1 s2"));
        TMigrationError e = assertThrows(TMigrationError.class, () -> RequestBounds.sessionId("s1\nforged"));
        assertEquals(TErrorCode.BAD_REQUEST, e.getCode());
        assertTrue(e.getMessage().contains("'s1\\nforged'"), "the id is quoted escaped: " + e.getMessage());
    }

    @Test
    void domainNamesAreShortAndPlain() {
        assertTrue(RequestBounds.isDomainName("vm1"));
        assertTrue(RequestBounds.isDomainName("web-01.rack2:a+b_c"));
        assertTrue(RequestBounds.isDomainName("d".repeat(RequestBounds.MAX_DOMAIN_NAME)));
        assertFalse(RequestBounds.isDomainName("d".repeat(RequestBounds.MAX_DOMAIN_NAME + 1)));
        assertFalse(RequestBounds.isDomainName("-leading-dash"));
        assertFalse(RequestBounds.isDomainName("../../etc"));
        assertFalse(RequestBounds.isDomainName("vm\u001b[2J"));
        assertFalse(RequestBounds.isDomainName(""));
    }

    @Test
    void hostsAreNamesOrAddresses() throws Exception {
        assertEquals("10.0.0.1", RequestBounds.host("10.0.0.1"));
        assertEquals("fe80::1%eth0", RequestBounds.host("fe80::1%eth0"));
        assertEquals("alpha.lab", RequestBounds.host("alpha.lab"));
        assertThrows(TMigrationError.class, () -> RequestBounds.host("a".repeat(RequestBounds.MAX_HOST + 1)));
        assertThrows(TMigrationError.class, () -> RequestBounds.host("alpha\nbeta"));
    }
}
