package org.xenpostcopy.migration.source;

import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;

/**
 * The live rounds of pre-copy and hybrid, with the guest running here: round 1 sends every populated page, each
 * later round the pages dirtied during the one before, until the {@link Xen417PrecopyPolicy} says stop. Log-dirty
 * stays on afterwards: the switch reads what the last round left dirty and turns it off.
 */
final class PreCopyRounds {
    /** What the rounds leave for the switch. */
    record Result(int rounds, GfnBitmap everSent, GfnBitmap dirtiedInLastRound) {
        static Result none(long gfnCount) {
            return new Result(0, new GfnBitmap(gfnCount), new GfnBitmap(gfnCount));
        }
    }

    private final XenHost host;
    private final DomainId domain;
    private final GuestHoles holes;
    private final PreCopySender sender;
    private final Xen417PrecopyPolicy policy;
    private final MigrationProgress progress;

    PreCopyRounds(XenHost host, DomainId domain, GuestHoles holes, PreCopySender sender, Xen417PrecopyPolicy policy,
                  MigrationProgress progress) {
        this.host = host;
        this.domain = domain;
        this.holes = holes;
        this.sender = sender;
        this.policy = policy;
        this.progress = progress;
    }

    Result run() {
        try {
            host.dirtyLog().enable(domain);
        } catch (XenException e) {
            throw new MigrationException("cannot track " + domain + "'s writes (log-dirty): " + e.getMessage(), e);
        }
        long gfnCount = holes.gfnCount();
        GfnBitmap everSent = new GfnBitmap(gfnCount);
        GfnBitmap round = GfnBitmap.full(gfnCount);
        round.andNot(holes.now());
        int rounds = 0;
        while (true) {
            boolean empty = round.isEmpty();
            if (policy.sendsEmptyRounds() || !empty) {
                rounds++;
                String phase = "pre-copy round " + rounds;
                long base = sender.pagesSent();
                long total = round.cardinality();
                sender.send(round, () -> progress.update(phase, sender.pagesSent() - base, total, 0), true);
                everSent.or(round);
            }
            // Pages written during the round: their dirty bits are read and cleared here, so if this was the last
            // round they must be added to what is still outstanding at the switch.
            GfnBitmap dirty = host.dirtyLog().readAndClear(domain);
            dirty.andNot(holes.now());
            if (policy.lastRound(rounds, empty, dirty.cardinality())) {
                return new Result(rounds, everSent, dirty);
            }
            round = dirty;
        }
    }
}
