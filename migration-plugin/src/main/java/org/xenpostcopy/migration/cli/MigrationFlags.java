package org.xenpostcopy.migration.cli;

import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.PrePaging;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** The migration flags {@code migrate} and {@code lab} share, as {@code xl migrate} users expect them. */
final class MigrationFlags {
    static final class ModeChoice {
        @Option(names = "--postcopy", description = "Post-copy: switch at once, then fetch memory (default).")
        boolean postcopy;
        @Option(names = "--precopy", description = "Pre-copy, Xen's own policy: the baseline.")
        boolean precopy;
        @Option(names = "--hybrid", description = "A few pre-copy rounds, then post-copy.")
        boolean hybrid;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    ModeChoice mode;

    @Option(names = "--prepaging", paramLabel = "POLICY", defaultValue = "bubble",
            description = "demand (demand paging only; 'none' is the same), push (linear), bubble-forward (our first "
                    + "bubble: edges stop at sent pages), bubble (the paper's dual-direction bubble) or multibubble "
                    + "(the paper's multi-pivot bubble) (default: ${DEFAULT-VALUE}).")
    String prepaging;

    @Option(names = "--dsb", description = "Self-balloon the guest first, so its free pages are not sent.")
    boolean dsb;

    @Option(names = "--link-mbps", paramLabel = "N", defaultValue = "0",
            description = "Shape the sending side as an Ethernet of N Mbit/s, TCP/IP framing counted, e.g. 1000 for "
                    + "the paper's LAN (default: unshaped).")
    long linkMbps;

    @Option(names = "--link-latency-ms", paramLabel = "MS", defaultValue = "0",
            description = "One-way latency added to demand requests and replies.")
    int linkLatencyMs;

    @Option(names = "--precopy-rounds", paramLabel = "N", defaultValue = "2",
            description = "Pre-copy rounds before the switch, with --hybrid (default: ${DEFAULT-VALUE}).")
    int precopyRounds;

    @Option(names = "--no-verify", description = "Skip the guest memory check at the destination.")
    boolean noVerify;

    @Option(names = "--baseline-ms", paramLabel = "MS", defaultValue = "1000",
            description = "The guest's throughput over this long before the request, what its degradation is "
                    + "measured against: read from the daemon's running count, waited for only where that is "
                    + "shorter (default: ${DEFAULT-VALUE}; 0: none).")
    long baselineMs;

    @Option(names = "--stall-ms", paramLabel = "MS", defaultValue = "" + MigrationOptions.DEFAULT_STALL_MS,
            description = "Post-copy: a silence this long on any connection is a cut; the session pauses and the"
                    + " source reconnects (default: ${DEFAULT-VALUE}).")
    int stallMs;

    @Option(names = "--give-up-s", paramLabel = "S", defaultValue = "" + MigrationOptions.DEFAULT_GIVE_UP_MS / 1000,
            description = "Post-copy: how long the source keeps reconnecting after a cut before the migration fails"
                    + " (default: ${DEFAULT-VALUE}).")
    long giveUpS;

    @Option(names = "--checkpoint-ms", paramLabel = "MS", defaultValue = "" + Checkpointing.DEFAULT_INTERVAL_MS,
            description = "Post-copy: the destination sends the source what its guest changed this often, so a"
                    + " destination that dies does not take the guest with it; 0 turns checkpoints (and fail-back)"
                    + " off (default: ${DEFAULT-VALUE}).")
    int checkpointMs;

    @Option(names = "--fail-back-ms", paramLabel = "MS",
            description = "Post-copy with checkpoints: a destination the source has not heard from this long holds"
                    + " its guest paused, and the guest resumes on the source from the last checkpoint"
                    + " (default: the stall limit).")
    Integer failBackMs;

    MigrationMode mode() {
        if (mode == null || mode.postcopy) {
            return MigrationMode.POSTCOPY;
        }
        return mode.precopy ? MigrationMode.PRECOPY : MigrationMode.HYBRID;
    }

    MigrationOptions options() {
        try {
            return MigrationOptions.defaults().withMode(mode()).withPrePaging(PrePaging.parse(prepaging)).withDsb(dsb)
                    .withLink(linkMbps, linkLatencyMs).withPrecopyRounds(precopyRounds).withVerify(!noVerify)
                    .withBaselineMs(baselineMs).withRecovery(stallMs, giveUpS * 1000)
                    .withCheckpointing(checkpointMs == 0 ? Checkpointing.off()
                            : new Checkpointing(checkpointMs, failBackMs == null ? stallMs : failBackMs));
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2, e);
        }
    }
}
