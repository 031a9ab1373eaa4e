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
 * @param sizeKiB      the domain's configured memory: what a destination must have free to take it (its admission
 *                     checks this, whatever the guest holds now); the ceiling where a daemon does not say
 */
public record DomainSummary(DomainId id, String name, long memoryKiB, long maxMemoryKiB, String state, int vcpus,
                            String guest, String migration, long sizeKiB) {
    public DomainSummary {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(guest, "guest");
        Objects.requireNonNull(migration, "migration");
    }

    /** A domain no migration is moving, as large as its ceiling. */
    public DomainSummary(DomainId id, String name, long memoryKiB, long maxMemoryKiB, String state, int vcpus,
                         String guest) {
        this(id, name, memoryKiB, maxMemoryKiB, state, vcpus, guest, "", maxMemoryKiB);
    }

    /** The same domain, moved by {@code migration}. */
    public DomainSummary withMigration(String migration) {
        return new DomainSummary(id, name, memoryKiB, maxMemoryKiB, state, vcpus, guest, migration, sizeKiB);
    }

    /** The same domain, whose configured memory is {@code sizeKiB}. */
    public DomainSummary withSizeKiB(long sizeKiB) {
        return new DomainSummary(id, name, memoryKiB, maxMemoryKiB, state, vcpus, guest, migration, sizeKiB);
    }
}
