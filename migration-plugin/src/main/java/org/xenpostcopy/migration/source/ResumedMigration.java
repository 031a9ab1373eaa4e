package org.xenpostcopy.migration.source;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.PhaseMachine;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.link.LinkShaper;
import org.xenpostcopy.migration.peer.Complete;
import org.xenpostcopy.migration.peer.Completion;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.migration.peer.WireBytes;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.prepaging.PrePagingPolicies;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.XenHost;

/**
 * Finishes, in a restarted daemon, a migration its predecessor left after pausing the guest (from the
 * {@link SessionJournal}). If the destination may never have had the guest, the session is aborted there and the
 * guest resumed here. Otherwise the session is recovered exactly as after a cut — the daemon's death was one — with
 * every page counted as sent until the destination names what it still misses; then the push and the page server
 * go on, and the copy here is destroyed once the destination has every page.
 */
final class ResumedMigration {
    private static final Logger LOG = System.getLogger(ResumedMigration.class.getName());

    private final XenHost host;
    private final PageServer pageServer;
    private final PeerConnector peers;
    private final SessionJournal journal;
    private final SessionJournal.Entry entry;
    private final DomainId domain;
    private final InetSocketAddress destination;
    private final InetSocketAddress self;

    ResumedMigration(XenHost host, PageServer pageServer, PeerConnector peers, SessionJournal journal,
                     SessionJournal.Entry entry, InetSocketAddress self) {
        this.self = self;
        this.host = host;
        this.pageServer = pageServer;
        this.peers = peers;
        this.journal = journal;
        this.entry = entry;
        this.domain = DomainId.of(entry.domid());
        this.destination = new InetSocketAddress(entry.destinationHost(), entry.destinationPort());
    }

    /**
     * Runs to the end; never throws (nobody waits for it): the outcome goes to the log. Returns whether the guest
     * had been handed over (any copy still here is then out of date).
     */
    /**
     * The copy here is gone: the destination's guest, which a checkpointed session runs on a lease, runs on none
     * from now on (its pings hear it too, should this call be lost).
     */
    private void release() {
        pageServer.released(entry.sessionId());
        try (DestinationPeer peer = peers.destination(destination, entry.sessionId(), Math.min(entry.timeoutMs(),
                entry.stallMs()), entry.stallMs(), WireBytes.uncounted())) {
            peer.released();
        } catch (MigrationException e) {
            LOG.log(Level.INFO, "session {0}: the destination did not hear the release ({1}); its next ping will",
                    entry.sessionId(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "session " + entry.sessionId() + ": telling the destination of the release failed", e);
        }
    }

    boolean run() {
        boolean handedOver = true;
        boolean keepEntry = false;
        try {
            if (!entry.handedOver() && abortedAtDestination()) {
                handedOver = false;
                // The entry is written just before the pause: the old daemon may have died before it paused.
                if (host.domains().info(domain).state() != DomainInfo.State.RUNNING) {
                    host.domains().resumeAfterFailedMigration(domain);
                }
                LOG.log(Level.WARNING, "session {0}: the daemon restarted before the destination had {1}; the"
                        + " destination gave the session up and {1} runs here again", entry.sessionId(), domain);
            } else {
                Outcome outcome = finish();
                if (outcome.failedBack() != null) {
                    handedOver = false;
                    keepEntry = outcome.restoreUnfinished();
                } else {
                    Completion done = outcome.completion();
                    host.domains().destroy(domain);
                    release();
                    LOG.log(Level.INFO, "session {0}: finished after the daemon restarted: {1} runs at {2}:{3}, {4}",
                            entry.sessionId(), domain, entry.destinationHost(),
                            String.valueOf(entry.destinationPort()),
                            done.verified() ? "verified" : "NOT verified (" + done.verificationNote() + ")");
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "session {0}: the migration of {1} could not be finished after the daemon restarted:"
                    + " {2}; {1} stays paused here", entry.sessionId(), domain, e.getMessage());
        } finally {
            if (!keepEntry) {
                journal.remove(entry.sessionId());
            }
        }
        return handedOver;
    }

    /**
     * How the session ended: completed at the destination, or failed back here (the destination was given up on).
     *
     * @param restoreUnfinished the fail-back's restore failed: the journal entry (FAILING_BACK) stays for the next
     *                          daemon, and the copy stays paused
     */
    private record Outcome(Completion completion, String failedBack, boolean restoreUnfinished) {
    }

    /** Whether the destination gave the session up: true only if the guest never ran there. */
    private boolean abortedAtDestination() {
        try (DestinationPeer peer = peers.destination(destination, entry.sessionId(), entry.timeoutMs(),
                entry.stallMs(), WireBytes.uncounted())) {
            peer.abort("the source daemon restarted before the switch completed");
            return true;
        } catch (PeerException e) {
            if (e.error() == RemoteError.UNKNOWN_SESSION) {
                return true;    // never prepared there, or reaped: the guest is this host's
            }
            return false;       // WRONG_STATE: the guest runs there; or unreachable: recovery will find out
        }
    }

    private Outcome finish() {
        // The journal names a domid; make sure it is still the paused copy this daemon's predecessor left (an
        // administrator may have resumed or destroyed it, and domids are reused).
        DomainInfo info = host.domains().info(domain);
        if (info.state() != DomainInfo.State.PAUSED) {
            throw new org.xenpostcopy.migration.MigrationException(domain + " is " + info.state().name()
                    .toLowerCase(java.util.Locale.ROOT) + ", not the paused copy the journal names: left alone");
        }
        MigrationOptions options = MigrationOptions.defaults().withPrePaging(PrePaging.parse(entry.prepaging()))
                .withBatchPages(entry.batchPages()).withLink(entry.linkMbps(), entry.linkLatencyMs());
        LinkShaper link = new LinkShaper(entry.linkMbps(), entry.linkLatencyMs());
        SentPages sent = SentPages.allSent(entry.gfnCount());
        Checkpointing checkpointing = entry.checkpointing();
        // The checkpoints the old daemon committed, the newest whole one on top: the destination's next checkpoint
        // amends the last one it saw acknowledged, which the log holds (or a newer one, whose reply was lost).
        CheckpointStore checkpoints = checkpointing.enabled() ? CheckpointStore.recover(entry.gfnCount(),
                journal.checkpointLog(entry.sessionId()).orElseThrow(), entry.sessionId()) : null;
        SourceSession session = new SourceSession(entry.sessionId(), host, domain, entry.gfnCount(), sent,
                PrePagingPolicies.create(options, sent), link, checkpoints, WireBytes.uncounted());
        pageServer.register(session);
        try {
            PhaseMachine<SourcePhase> phase = new PhaseMachine<>("outgoing " + domain + " (resumed)",
                    SourcePhase.PAUSED);
            // The old daemon's last grant was before it died, so a lease counted from now runs out later than any
            // the destination may hold.
            session.grants.handedOver();
            Reconnector reconnector = new Reconnector(peers, destination, self, session, phase, MigrationProgress.NONE,
                    entry.timeoutMs(), entry.stallMs(), entry.giveUpMs(), true, checkpointing.leaseMs());
            PostCopyDriver driver = new PostCopyDriver(session, phase, reconnector, MigrationProgress.NONE,
                    link.batchPages(entry.batchPages(), PreCopySender.WIRE_BYTES_PER_PAGE), entry.stallMs(),
                    () -> { });     // a resumed migration shares the link with no one by turns
            try {
                DestinationPeer peer = reconnector.reconnect("the source daemon restarted");
                try {
                    return new Outcome(driver.run(peer, resent -> new Complete(session.receivedBeforeRestart
                            + session.pagesSent(), entry.verify(), (int) Math.min(Integer.MAX_VALUE,
                            entry.timeoutMs()), entry.restoreTargetKiB(), resent)), null, false);
                } finally {
                    peer.close();
                }
            } catch (Reconnector.FailBackDue due) {
                phase.advanceTo(SourcePhase.FAILING_BACK);
                return failBack(session, checkpointing, due);
            }
        } finally {
            pageServer.unregister(session);
            if (checkpoints != null) {
                checkpoints.close();
            }
        }
    }

    /** The destination is given up on: the guest resumes here from the newest checkpoint this daemon holds. */
    private Outcome failBack(SourceSession session, Checkpointing checkpointing, Reconnector.FailBackDue due) {
        FailBack.Result r;
        try {
            r = new FailBack(host, domain, session, checkpointing, entry.verify(),
                    new FailBackJournal(journal, entry)).run();
        } catch (MigrationException e) {
            LOG.log(Level.ERROR, "session {0}: the fail-back of {1} after the daemon restarted failed: {2}; the copy"
                    + " stays paused, and the journal entry is kept for the next daemon", entry.sessionId(), domain,
                    e.getMessage());
            return new Outcome(null, e.getMessage(), true);
        }
        String why = "the source runs the guest again: " + r.summary();
        TakeBackNotice.send(peers, entry, why);
        LOG.log(Level.WARNING, "session {0}: {1} after the daemon restarted; {2} runs here again, {3}",
                entry.sessionId(), due.getMessage(), domain, r.summary());
        return new Outcome(null, r.summary(), false);
    }
}
