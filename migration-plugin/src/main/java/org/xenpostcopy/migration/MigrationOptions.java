package org.xenpostcopy.migration;

import java.util.Objects;
import org.xenpostcopy.migration.link.LinkShaper;

/**
 * Everything a migration is asked to do, fixed at its start.
 *
 * @param batchPages     pages per push batch (and most pages per demand fetch)
 * @param pivots         bubbles kept at once by {@link PrePaging#MULTIBUBBLE}
 * @param demandOnlyMs   with {@link PrePaging#DEMAND}: how long only demanded pages move before the rest is flushed
 * @param linkMbps       the sending side shaped as an Ethernet of this many Mbit/s, framing counted; 0 = unshaped
 * @param linkLatencyMs  one-way latency added on the sending side; 0 = none
 * @param verify         run the guest's memory check on the destination when done (where the host can)
 * @param baselineMs     how long to measure the guest's throughput before the migration starts (0 = skip)
 * @param timeoutMs      how long the source waits for the destination to confirm every page loaded
 * @param precopyRounds  with {@link MigrationMode#HYBRID}: pre-copy rounds before switching to post-copy
 * @param stallMs        post-copy: silence (no heartbeat, no reply, a send that does not finish) after which
 *                       either side counts the link as cut and the session pauses until the source reconnects
 * @param giveUpMs       post-copy: how long the source keeps trying to reconnect after a cut before it fails
 * @param checkpointing  post-copy: reverse checkpoints, and the fail-back of a guest whose destination went silent
 */
public record MigrationOptions(MigrationMode mode, PrePaging prepaging, boolean dsb, int batchPages, int pivots,
                               long demandOnlyMs, long linkMbps, int linkLatencyMs, boolean verify, long baselineMs,
                               long timeoutMs, int precopyRounds, int stallMs, long giveUpMs,
                               Checkpointing checkpointing) {
    public static final int MAX_BATCH = 1024;
    /** Default {@link #stallMs}: five heartbeats missed (they go every second). */
    public static final int DEFAULT_STALL_MS = 5000;
    /** Default {@link #giveUpMs}: ten minutes. */
    public static final long DEFAULT_GIVE_UP_MS = 600_000;

    public MigrationOptions {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(prepaging, "prepaging");
        Objects.requireNonNull(checkpointing, "checkpointing");
        if (batchPages < 1 || batchPages > MAX_BATCH) {
            throw new IllegalArgumentException("batch must be 1.." + MAX_BATCH + " pages, not " + batchPages);
        }
        if (pivots < 1 || pivots > 64) {
            throw new IllegalArgumentException("pivots must be 1..64, not " + pivots);
        }
        if (linkMbps < 0 || linkLatencyMs < 0 || demandOnlyMs < 0 || baselineMs < 0 || timeoutMs <= 0) {
            throw new IllegalArgumentException("link rate, latency, windows and timeouts cannot be negative");
        }
        LinkShaper.requireCarriable(linkMbps);
        if (precopyRounds < 0 || precopyRounds > 29) {
            throw new IllegalArgumentException("pre-copy rounds must be 0..29, not " + precopyRounds);
        }
        if (stallMs < 100 || giveUpMs < stallMs) {
            throw new IllegalArgumentException("the stall limit must be at least 100 ms and the give-up time no"
                    + " shorter (" + stallMs + " ms, " + giveUpMs + " ms)");
        }
    }

    /** Post-copy with bubbling, unshaped, verified: the defaults {@code xlpc migrate} uses. */
    public static MigrationOptions defaults() {
        return new MigrationOptions(MigrationMode.POSTCOPY, PrePaging.BUBBLE, false, 64, 7, 2000, 0, 0, true, 1000,
                600_000, 2, DEFAULT_STALL_MS, DEFAULT_GIVE_UP_MS,
                new Checkpointing(Checkpointing.DEFAULT_INTERVAL_MS, DEFAULT_STALL_MS));
    }

    public MigrationOptions withMode(MigrationMode m) {
        return new MigrationOptions(m, prepaging, dsb, batchPages, pivots, demandOnlyMs, linkMbps, linkLatencyMs,
                verify, baselineMs, timeoutMs, precopyRounds, stallMs, giveUpMs,
                checkpointing);
    }

    public MigrationOptions withPrePaging(PrePaging p) {
        return new MigrationOptions(mode, p, dsb, batchPages, pivots, demandOnlyMs, linkMbps, linkLatencyMs, verify,
                baselineMs, timeoutMs, precopyRounds, stallMs, giveUpMs,
                checkpointing);
    }

    public MigrationOptions withDsb(boolean d) {
        return new MigrationOptions(mode, prepaging, d, batchPages, pivots, demandOnlyMs, linkMbps, linkLatencyMs,
                verify, baselineMs, timeoutMs, precopyRounds, stallMs, giveUpMs,
                checkpointing);
    }

    public MigrationOptions withLink(long mbps, int latencyMs) {
        return new MigrationOptions(mode, prepaging, dsb, batchPages, pivots, demandOnlyMs, mbps, latencyMs, verify,
                baselineMs, timeoutMs, precopyRounds, stallMs, giveUpMs,
                checkpointing);
    }

    public MigrationOptions withBaselineMs(long ms) {
        return new MigrationOptions(mode, prepaging, dsb, batchPages, pivots, demandOnlyMs, linkMbps, linkLatencyMs,
                verify, ms, timeoutMs, precopyRounds, stallMs, giveUpMs,
                checkpointing);
    }

    public MigrationOptions withVerify(boolean v) {
        return new MigrationOptions(mode, prepaging, dsb, batchPages, pivots, demandOnlyMs, linkMbps, linkLatencyMs, v,
                baselineMs, timeoutMs, precopyRounds, stallMs, giveUpMs,
                checkpointing);
    }

    public MigrationOptions withBatchPages(int b) {
        return new MigrationOptions(mode, prepaging, dsb, b, pivots, demandOnlyMs, linkMbps, linkLatencyMs, verify,
                baselineMs, timeoutMs, precopyRounds, stallMs, giveUpMs,
                checkpointing);
    }

    public MigrationOptions withDemandOnlyMs(long ms) {
        return new MigrationOptions(mode, prepaging, dsb, batchPages, pivots, ms, linkMbps, linkLatencyMs, verify,
                baselineMs, timeoutMs, precopyRounds, stallMs, giveUpMs,
                checkpointing);
    }

    public MigrationOptions withPrecopyRounds(int r) {
        return new MigrationOptions(mode, prepaging, dsb, batchPages, pivots, demandOnlyMs, linkMbps, linkLatencyMs,
                verify, baselineMs, timeoutMs, r, stallMs, giveUpMs, checkpointing);
    }

    /** How long the source waits for the destination to confirm every page loaded. */
    public MigrationOptions withTimeoutMs(long ms) {
        return new MigrationOptions(mode, prepaging, dsb, batchPages, pivots, demandOnlyMs, linkMbps, linkLatencyMs,
                verify, baselineMs, ms, precopyRounds, stallMs, giveUpMs,
                checkpointing);
    }

    /** How long a silence counts as a cut, and how long the source tries to reconnect before it fails. */
    public MigrationOptions withRecovery(int stall, long giveUp) {
        return new MigrationOptions(mode, prepaging, dsb, batchPages, pivots, demandOnlyMs, linkMbps, linkLatencyMs,
                verify, baselineMs, timeoutMs, precopyRounds, stall, giveUp,
                checkpointing);
    }

    /** Reverse checkpoints (and fail-back), or {@link Checkpointing#off()}. */
    public MigrationOptions withCheckpointing(Checkpointing c) {
        return new MigrationOptions(mode, prepaging, dsb, batchPages, pivots, demandOnlyMs, linkMbps, linkLatencyMs,
                verify, baselineMs, timeoutMs, precopyRounds, stallMs, giveUpMs, c);
    }
}
