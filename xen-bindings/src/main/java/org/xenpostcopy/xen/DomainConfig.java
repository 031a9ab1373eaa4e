package org.xenpostcopy.xen;

import java.util.Objects;

/**
 * What a domain is created with: the subset of an {@code xl} domain configuration that migration needs.
 *
 * @param name     the domain's name (unique on a host)
 * @param memoryPages guest memory, in 4 KiB pages; also the domain's max memory
 * @param vcpus    number of virtual CPUs
 * @param guest    the guest program. On the emulated host this is a workload spec such as
 *                 {@code stress-write:256M}; a native host boots what its own config names and ignores it.
 * @param seed     seed of the guest program's random choices, so a run can be repeated exactly
 */
public record DomainConfig(String name, long memoryPages, int vcpus, String guest, long seed) {
    public DomainConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(guest, "guest");
        if (name.isBlank()) {
            throw new IllegalArgumentException("domain name is empty");
        }
        if (memoryPages < 16) {
            throw new IllegalArgumentException("a domain needs at least 16 pages of memory, not " + memoryPages);
        }
        if (vcpus < 1 || vcpus > 128) {
            throw new IllegalArgumentException("vcpus must be 1..128, not " + vcpus);
        }
    }

    public static DomainConfig ofMiB(String name, long memoryMiB, String guest, long seed) {
        return ofMiB(name, memoryMiB, 1, guest, seed);
    }

    /** The same with {@code vcpus} virtual CPUs. */
    public static DomainConfig ofMiB(String name, long memoryMiB, int vcpus, String guest, long seed) {
        return new DomainConfig(name, memoryMiB * (1 << 20) / Gfn.PAGE_SIZE, vcpus, guest, seed);
    }

    public long memoryKiB() {
        return memoryPages * (Gfn.PAGE_SIZE / 1024);
    }
}
