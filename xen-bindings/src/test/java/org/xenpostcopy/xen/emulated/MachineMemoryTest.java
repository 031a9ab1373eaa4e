package org.xenpostcopy.xen.emulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The emulated host's free memory is the machine's available memory. */
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
}
