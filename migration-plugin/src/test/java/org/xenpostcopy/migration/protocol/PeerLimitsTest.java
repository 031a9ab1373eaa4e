package org.xenpostcopy.migration.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** Connection caps per peer address and in all. */
class PeerLimitsTest {
    private static InetAddress addr(int last) throws Exception {
        return InetAddress.getByAddress(new byte[] {10, 0, 0, (byte) last});
    }

    @Test
    void onePeerCannotTakeMoreThanItsShare() throws Exception {
        PeerLimits limits = new PeerLimits(10, 3);
        for (int i = 0; i < 3; i++) {
            assertTrue(limits.admit(addr(1), i));
        }
        assertFalse(limits.admit(addr(1), 3), "the fourth from one peer");
        assertTrue(limits.admit(addr(2), 4), "another peer still gets in");
        limits.release(addr(1));
        assertTrue(limits.admit(addr(1), 5), "a closed connection frees its place");
        assertEquals(3, limits.open(addr(1)));
        assertEquals(4, limits.open());
    }

    @Test
    void noMoreThanTheLimitInAll() throws Exception {
        PeerLimits limits = new PeerLimits(4, 2);
        for (int peer = 1; peer <= 2; peer++) {
            assertTrue(limits.admit(addr(peer), 0));
            assertTrue(limits.admit(addr(peer), 0));
        }
        assertFalse(limits.admit(addr(3), 0));
        limits.release(addr(2));
        assertTrue(limits.admit(addr(3), 0));
    }

    @Test
    void aReleaseOfWhatWasNeverAdmittedIsABug() throws Exception {
        PeerLimits limits = new PeerLimits(4, 2);
        assertThrows(IllegalStateException.class, () -> limits.release(addr(9)));
    }
}
