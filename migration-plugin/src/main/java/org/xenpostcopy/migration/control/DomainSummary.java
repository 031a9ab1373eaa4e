package org.xenpostcopy.migration.control;

import java.util.Objects;
import org.xenpostcopy.xen.DomainId;

/**
 * One line of {@code xlpc list}: a domain as a client sees it.
 *
 * @param memoryKiB    populated memory now
 * @param maxMemoryKiB the most the domain may have
 * @param state        running, paused, shutdown or dying (lower case, as {@code xl list} spells states)
 * @param guest        the guest program (emulated hosts); empty for dom0, "?" if the host could not tell
 * @param migration    the outgoing migration of the domain, if one runs: its phase and id; empty otherwise
 */
public record DomainSummary(DomainId id, String name, long memoryKiB, long maxMemoryKiB, String state, int vcpus,
                            String guest, String migration) {
    public DomainSummary {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(guest, "guest");
        Objects.requireNonNull(migration, "migration");
    }

    /** A domain no migration is moving. */
    public DomainSummary(DomainId id, String name, long memoryKiB, long maxMemoryKiB, String state, int vcpus,
                         String guest) {
        this(id, name, memoryKiB, maxMemoryKiB, state, vcpus, guest, "");
    }
}
