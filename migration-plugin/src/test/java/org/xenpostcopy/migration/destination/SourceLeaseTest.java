package org.xenpostcopy.migration.destination;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The lease runs from a request's sending, and a late reply for an old request cannot shorten or stretch it. */
class SourceLeaseTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void theLeaseRunsFromTheSendingOfTheNewestGrantedRequest() {
        long t0 = 1_000_000 * MS;
        SourceLease lease = new SourceLease(100, t0);
        assertTrue(lease.valid(t0 + 99 * MS));
        assertFalse(lease.valid(t0 + 100 * MS));
        lease.renew(t0 + 50 * MS);                 // a reply to a request sent at t0+50
        assertTrue(lease.valid(t0 + 149 * MS));
        assertFalse(lease.valid(t0 + 150 * MS));
        lease.renew(t0 + 10 * MS);                 // a reply to an older request, arriving late: changes nothing
        assertFalse(lease.valid(t0 + 150 * MS));
    }
}
