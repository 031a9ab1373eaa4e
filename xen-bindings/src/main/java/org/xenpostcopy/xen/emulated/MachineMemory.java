package org.xenpostcopy.xen.emulated;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * The memory an emulated host can give a new domain: its guests' memory is this machine's, so what the machine
 * has available ({@code MemAvailable} in {@code /proc/meminfo}) — and, for a persistent host, no more than the
 * free space of the file system its domains' memory files live on.
 */
final class MachineMemory {
    private static final Path MEMINFO = Path.of("/proc/meminfo");

    private MachineMemory() {
    }

    /** Free KiB for a new domain; empty where {@code /proc/meminfo} cannot be read. */
    static OptionalLong freeKiB(Path stateDirectory) {
        OptionalLong available;
        try {
            available = memAvailableKiB(Files.readAllLines(MEMINFO));
        } catch (IOException e) {
            return OptionalLong.empty();
        }
        if (available.isEmpty() || stateDirectory == null) {
            return available;
        }
        try {
            long usable = Files.getFileStore(stateDirectory).getUsableSpace() / 1024;
            return OptionalLong.of(Math.min(available.getAsLong(), usable));
        } catch (IOException e) {
            return available;
        }
    }

    /** {@code MemAvailable: N kB} of a {@code /proc/meminfo}, if it has that line. */
    static OptionalLong memAvailableKiB(List<String> meminfo) {
        for (String line : meminfo) {
            if (line.startsWith("MemAvailable:")) {
                String[] f = line.substring("MemAvailable:".length()).trim().split("\\s+");
                try {
                    return OptionalLong.of(Long.parseLong(f[0]));
                } catch (NumberFormatException e) {
                    return OptionalLong.empty();
                }
            }
        }
        return OptionalLong.empty();
    }
}
