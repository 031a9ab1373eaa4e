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

    /**
     * How long each fault of the guest on a paged-out gfn kept the faulting vCPU from running, in nanoseconds, one
     * sample per fault since the domain was created on this host: from the vCPU's access (before it waits for a
     * ring slot) to the moment it runs again. Empty if the host cannot tell (Xen does not timestamp a blocked
     * vCPU; a pager sees only when a request reached the ring).
     */
    default Optional<long[]> faultWaitNanos(DomainId domain) {
        return Optional.empty();
    }

    /**
     * The guest's last and first instants on this host, in {@link System#nanoTime()}: the bounds of a downtime as
     * the guest lives it, rather than as dom0's pause and unpause calls return. Empty if the host cannot tell.
     */
    default Optional<RunBounds> runBounds(DomainId domain) {
        return Optional.empty();
    }

    /**
     * @param firstRanAt when a vCPU of the domain first ran on this host (-1: not yet)
     * @param stoppedAt  when its vCPUs last stopped for a pause, having run (-1: running, or never ran)
     */
    record RunBounds(long firstRanAt, long stoppedAt) {
    }

    /** Pauses the domain, checks every page of guest memory, unpauses it. */
    Verification verify(DomainId domain);

    /**
     * @param problems the first few things found wrong, one sentence each
     */
    record Verification(boolean clean, long pagesChecked, long mismatchedPages, List<String> problems) {
    }
}
