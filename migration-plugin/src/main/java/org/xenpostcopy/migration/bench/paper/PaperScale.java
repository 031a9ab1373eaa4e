package org.xenpostcopy.migration.bench.paper;

import java.util.List;

/**
 * How big a reproduction is: the guest, the link, and each experiment's grid. {@link #full()} is the paper's grid
 * (a 2 GiB guest, working sets 8 MiB–1 GiB); {@link #quick()} keeps every figure but fewer points, on a 1 GiB guest,
 * to finish in minutes; {@link #tiny()} is one point per experiment on a small guest, for the test.
 *
 * @param name            what the CSVs and the progress line call it
 * @param guestMiB        the guest's memory
 * @param linkMbps        the shaped link between the hosts (the paper's gigabit LAN: 1000)
 * @param sweepSizes      Fig. 4–6: working sets migrated with DSB
 * @param sweepSizesNoDsb Fig. 4–6: working sets also migrated without DSB (a subset of {@code sweepSizes})
 * @param faultSizes      Table 2: stress-write working sets, push against bubble
 * @param faultAppWorkloads Table 2: further workloads (kernel-compile, netperf) in the same table
 * @param policyWorkloads the pre-paging comparison: workloads each policy is run on
 * @param appJobSeconds   Fig. 7–8: the job's length at the workload's nominal pace
 * @param appWithoutDsb   Fig. 7–8: also the configurations without DSB
 * @param dsbIntervals    Fig. 11: DSB intervals, in seconds
 * @param dsbWindowSeconds Fig. 11: how long the guest runs with and without DSB at each interval
 * @param verify          run the guest-memory check after each migration
 */
public record PaperScale(String name, long guestMiB, long linkMbps, List<String> sweepSizes,
                         List<String> sweepSizesNoDsb, List<String> faultSizes, List<String> faultAppWorkloads,
                         List<String> policyWorkloads,
                         int appJobSeconds, boolean appWithoutDsb, List<Integer> dsbIntervals, int dsbWindowSeconds,
                         boolean verify) {

    public PaperScale {
        if (!sweepSizes.containsAll(sweepSizesNoDsb)) {
            throw new IllegalArgumentException("working sets without DSB must be among those with it");
        }
    }

    /** The paper's grid: a 2 GiB guest, working sets 8 MiB to 1 GiB, DSB intervals 1–20 s. */
    public static PaperScale full() {
        List<String> sizes = List.of("8M", "16M", "32M", "64M", "128M", "256M", "512M", "1G");
        return new PaperScale("full", 2048, 1000, sizes, sizes, sizes, List.of("kernel-compile", "netperf"),
                List.of("stress-write:256M", "stress-write:1G", "kernel-compile"), 60, true,
                List.of(1, 2, 5, 10, 15, 20), 60, true);
    }

    /** Every figure, fewer points, a 1 GiB guest: a few minutes on two cores. */
    public static PaperScale quick() {
        return new PaperScale("quick", 1024, 1000, List.of("32M", "256M"), List.of("256M"), List.of("32M", "256M"),
                List.of(), List.of("stress-write:256M"), 10, false, List.of(1, 4), 8, true);
    }

    /** One point per experiment (with DSB only) on a 160 MiB guest, 1 s jobs: what the test runs. */
    public static PaperScale tiny() {
        return new PaperScale("tiny", 160, 1000, List.of("16M"), List.of(), List.of("16M"), List.of(),
                List.of("stress-write:16M"), 1, false, List.of(1), 2, true);
    }
}
