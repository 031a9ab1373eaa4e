package org.xenpostcopy.migration.source;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.XenHost;

/**
 * Brings the guest back to the source after its destination died: the paused copy here, amended by the last whole
 * reverse checkpoint, is the guest as it was at that checkpoint's instant, and it resumes here.
 *
 * <p>Never while the destination's copy may still run: the source first stops granting the lease and waits until
 * every lease it granted has run out — the last
 * grant plus the lease, stretched by {@link #CLOCK_RATE_SLACK} and {@link #MARGIN_MS} for the two clocks' rates
 * and the destination's sweep — by which time a live destination has paused its copy and a dead one runs nothing.
 */
final class FailBack {
    private static final Logger LOG = System.getLogger(FailBack.class.getName());
    /** How much faster the source's clock may run than the destination's (monotonic clocks drift far less). */
    static final double CLOCK_RATE_SLACK = 0.10;
    /** Added for the destination's lease sweep (every 100 ms) and a scheduling delay there. */
    static final long MARGIN_MS = 500;

    private final XenHost host;
    private final DomainId domain;
    private final SourceSession session;
    private final Checkpointing checkpointing;
    private final boolean verify;
    private final Steps steps;

    /**
     * What the fail-back did.
     *
     * @param sinceLastGrantMs from the destination's last word (the last grant of its lease) to the resume here
     * @param checkpointSeq    the checkpoint restored (0: none had been committed; the guest resumes as it was at
     *                         the switch)
     * @param checkpointAgeMs  from that checkpoint's commit here to the resume here
     * @param pagesRestored    checkpoint pages written over the paused copy
     * @param guestOps         guest operations at that checkpoint (-1 if unknown)
     * @param verification     the guest's memory check after the restore, if the host can do one and it was asked
     * @param lastHeardOps     guest operations at the destination as its last heartbeat said (-1 if unknown)
     */
    record Result(double sinceLastGrantMs, long checkpointSeq, double checkpointAgeMs, long pagesRestored, long guestOps,
                  Optional<GuestProbe.Verification> verification, long lastHeardOps) {
        /** Guest operations done at the destination after the restored checkpoint, at least (-1 if unknown). */
        long opsLost() {
            return guestOps >= 0 && lastHeardOps >= 0 ? Math.max(0, lastHeardOps - guestOps) : -1;
        }

        String summary() {
            String checked = verification.map(v -> v.clean() ? "; memory checked clean (" + v.pagesChecked()
                    + " pages)" : "; memory check FAILED: " + String.join("; ", v.problems().subList(0,
                    Math.min(3, v.problems().size())))).orElse("");
            String resumed = String.format(Locale.ROOT, ", %.0f ms after the destination's last word", sinceLastGrantMs)
                    + (opsLost() >= 0 ? "; at least " + opsLost() + " guest operations done there since are lost" : "");
            return (checkpointSeq == 0
                    ? "restored as it was at the switch (no checkpoint had been committed)"
                    : String.format(Locale.ROOT, "restored from checkpoint %d (%d pages, committed %.0f ms before the"
                    + " resume here)", checkpointSeq, pagesRestored, checkpointAgeMs)) + resumed + checked;
        }
    }

    /**
     * What a fail-back tells the session journal as it goes, so that a daemon that dies in the middle of one is
     * finished by the next ({@link FailBackJournal}).
     */
    interface Steps {
        Steps NONE = new Steps() {
            @Override
            public void restoring(Optional<CheckpointStore.Committed> checkpoint, CheckpointStore store) {
            }

            @Override
            public void restored() {
            }
        };

        /** The lease has run out and the copy is about to be restored from {@code checkpoint} (none: the switch). */
        void restoring(Optional<CheckpointStore.Committed> checkpoint, CheckpointStore store);

        /** The copy is whole again; the guest is about to resume (and may run from then on). */
        void restored();
    }

    FailBack(XenHost host, DomainId domain, SourceSession session, Checkpointing checkpointing, boolean verify) {
        this(host, domain, session, checkpointing, verify, Steps.NONE);
    }

    FailBack(XenHost host, DomainId domain, SourceSession session, Checkpointing checkpointing, boolean verify,
             Steps steps) {
        this.steps = steps;
        this.host = host;
        this.domain = domain;
        this.session = session;
        this.checkpointing = checkpointing;
        this.verify = verify;
    }

    Result run() {
        long lastGrant = session.grants.revoke();
        long leaseNanos = TimeUnit.MILLISECONDS.toNanos(checkpointing.leaseMs());
        long until = lastGrant + (long) (leaseNanos * (1 + CLOCK_RATE_SLACK)) + TimeUnit.MILLISECONDS.toNanos(MARGIN_MS);
        long left;
        while ((left = until - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);      // waiting out a lease is the point, not a condition to poll
        }
        Optional<CheckpointStore.Committed> cp = session.checkpoints.freeze();
        // Before the copy is touched: a daemon that dies from here on leaves a copy its successor must make whole
        // again from the same checkpoint, never serve.
        steps.restoring(cp, session.checkpoints);
        long restored;
        try {
            restored = cp.map(c -> new CheckpointRestore(host, domain).apply(session.checkpoints.restorable(c)))
                    .orElse(0L);
        } catch (RuntimeException e) {
            throw new MigrationException("restoring " + domain + " from checkpoint " + cp.map(c -> c.seq()).orElse(0L)
                    + " failed (" + e.getMessage() + "); it stays paused here, and the destination's copy, if it"
                    + " lives, is held paused by its lease", e);
        }
        steps.restored();
        if (cp.isPresent()) {
            host.domains().resumeRestored(domain);    // its registers are the checkpoint's now
        } else {
            host.domains().resumeAfterFailedMigration(domain);
        }
        long resumedAt = System.nanoTime();
        session.grants.takenBack("the guest runs on the source again, "
                + cp.map(c -> "from checkpoint " + c.seq()).orElse("as it was at the switch"));
        Optional<GuestProbe.Verification> v = verify ? host.guestProbe().map(p -> p.verify(domain)) : Optional.empty();
        Result r = new Result((resumedAt - lastGrant) / 1e6, cp.map(CheckpointStore.Committed::seq).orElse(0L),
                cp.map(c -> (resumedAt - c.committedAt()) / 1e6).orElse(0.0), restored,
                cp.map(CheckpointStore.Committed::guestOps).orElse(-1L), v, session.destinationGuestOps);
        LOG.log(Level.WARNING, "outgoing {0}: the guest runs here again, {1}", domain, r.summary());
        return r;
    }
}
