package org.xenpostcopy.migration;

/**
 * Reverse checkpoints during post-copy, and the fail-back they make possible: once the guest runs on the
 * destination, neither host has all of it, so the destination sends the source what its guest changed (pages and
 * vCPU state, one consistent instant at a time) and a destination that dies is replaced by the source's copy plus
 * the last whole checkpoint (PostCopyFT, INFOCOM 2019).
 *
 * <p>A dead destination and a cut link look alike from the source, so the guest may only come back once the
 * destination's copy provably stops: the destination runs it on a lease the source renews with every reply, and
 * pauses it when the lease runs out; the source restores only after every lease it granted has expired.
 *
 * @param intervalMs how often the destination takes a checkpoint; 0 = never (and no fail-back: a destination that
 *                   dies then loses the guest, as in plain post-copy)
 * @param leaseMs    how long the destination may run the guest past a request the source last answered; a
 *                   destination silent this long gets its guest back at the source
 */
public record Checkpointing(int intervalMs, int leaseMs) {
    /** Default interval: about a second, as PostCopyFT measures. */
    public static final int DEFAULT_INTERVAL_MS = 1000;

    public Checkpointing {
        if (intervalMs < 0 || intervalMs > 0 && (intervalMs < 10 || leaseMs < 100)) {
            throw new IllegalArgumentException("a checkpoint interval is 0 (none) or at least 10 ms, with a lease of"
                    + " at least 100 ms (" + intervalMs + " ms, " + leaseMs + " ms)");
        }
    }

    /** No checkpoints, no fail-back. */
    public static Checkpointing off() {
        return new Checkpointing(0, 0);
    }

    public boolean enabled() {
        return intervalMs > 0;
    }
}
