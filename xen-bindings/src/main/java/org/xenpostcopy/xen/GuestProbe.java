package org.xenpostcopy.xen;

import java.util.List;
import java.util.Optional;

/**
 * What a host can tell about the program inside a guest, for measurements: how much work it has done and
 * whether its memory is intact. The emulated host has one (its guests keep counters and a memory oracle); a
 * native host has one only where its guests run a cooperating checker.
 */
public interface GuestProbe {
    /** Operations the guest program has completed since it booted (carried across migrations). */
    long operations(DomainId domain);

    /**
     * Distinct pages the guest itself has touched (read or written) since the domain was created on this host —
     * on a migration's receiver, its first touches. -1 if unknown.
     */
    long pagesTouched(DomainId domain);

    /**
     * Which pages the guest itself has touched (read or written) since the domain was created on this host: the
     * bitmap behind {@link #pagesTouched}, taken now. Empty if the host cannot tell. A host's accessed bits (or a
     * first-access trap) give this; dom0's own mappings of guest pages do not count as touches.
     */
    default Optional<GfnBitmap> touchedPages(DomainId domain) {
        return Optional.empty();
    }

    /** Pauses the domain, checks every page of guest memory, unpauses it. */
    Verification verify(DomainId domain);

    /**
     * @param problems the first few things found wrong, one sentence each
     */
    record Verification(boolean clean, long pagesChecked, long mismatchedPages, List<String> problems) {
    }
}
