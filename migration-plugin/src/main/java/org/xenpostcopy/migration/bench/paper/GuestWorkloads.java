package org.xenpostcopy.migration.bench.paper;

import org.xenpostcopy.xen.emulated.guest.WorkloadSpec;

/** What the bench needs to know of a guest program before it runs one: its pace and how long it takes to warm up. */
final class GuestWorkloads {
    private GuestWorkloads() {
    }

    /** The program's nominal pace in operations per second, as the emulated guest runs it. */
    static long opsPerSecond(String workload, long guestMiB) {
        return WorkloadSpec.parse(workload, guestMiB << 8).opsPerSecond();
    }

    /**
     * Operations after which the program is in its steady state: a stress test has allocated its whole working set
     * (one operation per page) and swept a little; a kernel build has populated its source tree; netperf has
     * filled its buffers.
     */
    static long warmUpOps(String workload) {
        String w = workload.toLowerCase(java.util.Locale.ROOT);
        int at = w.indexOf('@');
        if (at >= 0) {
            w = w.substring(0, at);
        }
        if (w.startsWith("stress-")) {
            return workingSetPages(w) + 5_000;
        }
        return switch (w) {
            case "kernel-compile" -> 30_000;
            case "netperf" -> 10_000;
            default -> 10;
        };
    }

    /** The pages of a stress test's working set ({@code stress-write:256M} → 65536). */
    static long workingSetPages(String stressWorkload) {
        String arg = stressWorkload.substring(stressWorkload.indexOf(':') + 1);
        int at = arg.indexOf('@');
        return WorkloadSpec.parseSize(at >= 0 ? arg.substring(0, at) : arg, stressWorkload) / 4096;
    }

    /** A working set such as {@code 256M} in MiB. */
    static double mebibytes(String size) {
        return WorkloadSpec.parseSize(size, size) / (double) (1 << 20);
    }
}
