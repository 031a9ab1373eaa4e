package org.xenpostcopy.migration.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The facts about this machine that {@code xlpc daemon --check} judges, each read without changing anything.
 * {@link LiveHostProbes} reads the real machine; tests give canned answers.
 */
interface HostProbes {
    /** A value and where it was read, for the table's detail column. */
    record Found(String value, String source) {
    }

    /** The hypervisor this kernel runs on ({@code xen}) and the evidence; empty on bare metal or another one. */
    Optional<Found> hypervisor();

    /** Whether the file or device exists (e.g. {@code /dev/xen/privcmd}). */
    boolean exists(Path path);

    /** The running hypervisor's build configuration (Kconfig lines) and where it was found. */
    Optional<Found> hypervisorConfig();

    /**
     * Reads {@code key} from xenstored, as the native host's xenstore client would reach it.
     *
     * @throws IOException saying why xenstored did not answer
     */
    Found xenstoreRead(String key) throws IOException;

    /** Xen's free memory ({@code xl info}'s free_memory), in KiB: what a native destination can give a guest. */
    OptionalLong hypervisorFreeKiB();

    /** {@code MemAvailable} of {@code /proc/meminfo}, in KiB: what an emulated host can give its guests. */
    OptionalLong availableKiB();

    /** Whether this process may create files in {@code dir}, or create {@code dir} where it does not exist yet. */
    boolean writable(Path dir);

    /** Now, for certificate validity. */
    Instant now();
}
