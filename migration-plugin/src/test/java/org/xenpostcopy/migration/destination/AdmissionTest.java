package org.xenpostcopy.migration.destination;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.xen.DomainConfig;

/** A prepare larger than the host's free memory is refused; one that fits, or on a host that cannot tell, is not. */
class AdmissionTest {
    private static final DomainConfig GIB = DomainConfig.ofMiB("vm", 1024, "idle", 1);

    @Test
    void aDomainLargerThanTheFreeMemoryIsRefusedNamingBoth() {
        PeerException e = assertThrows(PeerException.class,
                () -> Admission.check(GIB, OptionalLong.of(1023L * 1024)));
        assertEquals(RemoteError.HOST_ERROR, e.error());
        assertEquals("refused: vm needs 1024.0 MiB and this host has 1023.0 MiB free", e.getMessage());
    }

    @Test
    void aDomainThatFitsOrAHostThatCannotTellIsAdmitted() {
        assertDoesNotThrow(() -> Admission.check(GIB, OptionalLong.of(1024L * 1024)));
        assertDoesNotThrow(() -> Admission.check(GIB, OptionalLong.empty()));
    }
}
