package org.xenpostcopy.migration.source;

/**
 * When the live pre-copy rounds stop: Xen 4.17's policy (libxenguest's {@code simple_precopy_policy}, what
 * {@code xl migrate} uses). Stop after {@value #MAX_ROUNDS} live rounds; or once fewer than
 * {@value #TARGET_DIRTY_COUNT} pages were dirtied during a round, send those live once more and stop. (The 29
 * rounds / 3× memory rules are the pre-4.6 {@code xc_domain_save}.) Hybrid migrations stop after a fixed number
 * of rounds instead, whatever was dirtied.
 */
final class Xen417PrecopyPolicy {
    static final int TARGET_DIRTY_COUNT = 50;
    static final int MAX_ROUNDS = 5;

    private final int fixedRounds;
    private boolean finalLiveRound;

    /** Xen 4.17's rule. */
    static Xen417PrecopyPolicy xen() {
        return new Xen417PrecopyPolicy(0);
    }

    /** Exactly {@code rounds} live rounds (hybrid); at least one, or it would not be a hybrid. */
    static Xen417PrecopyPolicy fixed(int rounds) {
        return new Xen417PrecopyPolicy(Math.max(1, rounds));
    }

    private Xen417PrecopyPolicy(int fixedRounds) {
        this.fixedRounds = fixedRounds;
    }

    /** Whether a round is sent even when it is empty (hybrid: the round count is the contract). */
    boolean sendsEmptyRounds() {
        return fixedRounds > 0;
    }

    /**
     * Called after each live round.
     *
     * @param roundsSent     live rounds sent so far
     * @param roundWasEmpty  the round just sent had nothing in it
     * @param dirtiedDuring  pages the guest dirtied while it went
     * @return true if that was the last live round (the stop-and-copy comes next)
     */
    boolean lastRound(int roundsSent, boolean roundWasEmpty, long dirtiedDuring) {
        if (fixedRounds > 0) {
            return roundsSent >= fixedRounds;
        }
        if (finalLiveRound || roundWasEmpty || roundsSent >= MAX_ROUNDS) {
            return true;
        }
        finalLiveRound = dirtiedDuring < TARGET_DIRTY_COUNT;
        return false;
    }
}
