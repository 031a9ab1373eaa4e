package org.xenpostcopy.migration.destination;

import java.util.Locale;
import java.util.OptionalLong;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.Gfn;

/**
 * Admission control for a prepare: a domain larger than the memory this host can still give is refused before
 * anything is created — not left to fail half-way through populating it (or, on the emulated host, to take the
 * machine's memory from everything else). A host that cannot tell its free memory admits everything.
 */
final class Admission {
    private Admission() {
    }

    /** @throws PeerException HOST_ERROR naming both sizes, if the domain does not fit */
    static void check(DomainConfig domain, OptionalLong freeKiB) {
        long needKiB = domain.memoryPages() * (Gfn.PAGE_SIZE / 1024);
        if (freeKiB.isPresent() && needKiB > freeKiB.getAsLong()) {
            throw new PeerException(RemoteError.HOST_ERROR, String.format(Locale.ROOT,
                    "refused: %s needs %.1f MiB and this host has %.1f MiB free", domain.name(), needKiB / 1024.0,
                    freeKiB.getAsLong() / 1024.0));
        }
    }
}
