package org.xenpostcopy.xen.emulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.XenException;

/** The emulated host's free memory is the machine's available memory, or what its own memory size leaves. */
class MachineMemoryTest {
    @Test
    void memAvailableIsReadFromMeminfo() {
        assertEquals(OptionalLong.of(22_797_312), MachineMemory.memAvailableKiB(List.of(
                "MemTotal:       24598352 kB", "MemFree:        22107300 kB", "MemAvailable:   22797312 kB")));
    }

    @Test
    void aMeminfoWithoutItTellsNothing() {
        assertEquals(OptionalLong.empty(), MachineMemory.memAvailableKiB(List.of("MemTotal: 1 kB")));
        assertEquals(OptionalLong.empty(), MachineMemory.memAvailableKiB(List.of("MemAvailable: lots")));
    }

    @Test
    void thisMachineHasSome() {
        try (EmulatedXenHost host = new EmulatedXenHost("free")) {
            OptionalLong free = host.domains().freeMemoryKiB();
            assertTrue(free.isEmpty() || free.getAsLong() > 0, free.toString());
        }
    }

    @Test
    void aHostWithAMemorySizeCountsEveryDomainsFullSizeAndRefusesWhatDoesNotFit() {
        try (EmulatedXenHost host = new EmulatedXenHost("sized", 96)) {
            assertEquals(OptionalLong.of(96 * 1024), host.domains().freeMemoryKiB());
            DomainId a = host.domains().create(DomainConfig.ofMiB("a", 64, "idle", 1), true);
            assertEquals(OptionalLong.of(32 * 1024), host.domains().freeMemoryKiB());
            XenException refused = assertThrows(XenException.class,
                    () -> host.domains().create(DomainConfig.ofMiB("b", 48, "idle", 1), true));
            assertEquals(java.util.Optional.of(Errno.ENOMEM), refused.errno());
            assertTrue(refused.getMessage().contains("b needs 48 MiB and the host has 32 MiB free"), refused.getMessage());
            host.domains().destroy(a);
            assertEquals(OptionalLong.of(96 * 1024), host.domains().freeMemoryKiB());
            host.domains().create(DomainConfig.ofMiB("b", 48, "idle", 1), true);
        }
    }
}
