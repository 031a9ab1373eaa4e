package org.xenpostcopy.migration.bench.paper;

import java.util.HashMap;
import java.util.Map;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.report.MigrationReport;

/**
 * One migration of a freshly booted, warmed-up guest from one host to the other, measured once per distinct point:
 * experiments that need the same point (Fig. 4–6's post-copy runs are Table 2's bubble rows) share the run, so the
 * figures agree with each other and the bench does not pay for a run twice.
 */
final class SingleMigrations {
    /** A migration to measure: the guest's program, how it moves, and the seed of its run. */
    record Point(String workload, MigrationMode mode, PrePaging prepaging, boolean dsb, int seed) {
        String describe() {
            return workload + " " + mode.wireName() + (mode == MigrationMode.PRECOPY ? "" : " " + prepaging.wireName())
                    + (dsb ? " dsb" : " no-dsb") + " seed " + seed;
        }
    }

    private final PaperScale scale;
    private final Map<Point, MigrationReport> measured = new HashMap<>();

    SingleMigrations(PaperScale scale) {
        this.scale = scale;
    }

    /** The options of every migration of the bench: the paper's link, no reverse checkpoints (the paper had none). */
    static MigrationOptions options(PaperScale scale, MigrationMode mode, PrePaging prepaging, boolean dsb) {
        return MigrationOptions.defaults().withMode(mode).withPrePaging(prepaging).withDsb(dsb)
                .withLink(scale.linkMbps(), 0).withBaselineMs(0).withVerify(scale.verify())
                .withCheckpointing(Checkpointing.off());
    }

    boolean has(Point p) {
        return measured.containsKey(p);
    }

    MigrationReport measure(Point p) {
        MigrationReport r = measured.get(p);
        if (r == null) {
            r = run(p);
            measured.put(p, r);
        }
        return r;
    }

    private MigrationReport run(Point p) {
        try (HostPair hosts = new HostPair(false)) {
            hosts.boot(scale.guestMiB(), p.workload(), p.seed());
            hosts.warmUp(GuestWorkloads.warmUpOps(p.workload()));
            return hosts.migrateAway(options(scale, p.mode(), p.prepaging(), p.dsb()));
        }
    }
}
