package org.xenpostcopy.migration.source;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.Set;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.peer.LinkState;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.migration.peer.WireBytes;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.XenHost;

/**
 * A fail-back an administrator orders ({@code xlpc migrate --fail-back ID}) when a post-copy is stuck with its guest
 * dead or unreachable at the destination and the copy here held paused. It is the lease's fail-back, with the same
 * safety, and refuses — saying why and what to do — unless:
 * <ul>
 * <li>the copy here is whole: the session took reverse checkpoints and one was committed (the copy alone is the
 * guest as it was at the switch; bringing that back would silently undo everything since, which is not this
 * command's to decide);
 * <li>the copy here is still paused (not resumed by hand, not destroyed);
 * <li>the destination does not say its copy runs ({@code RUNNING}, {@code RECOVERING}: the guest lives there;
 * {@code COMPLETED}: it is the destination's). It may say {@code PAUSED} or {@code LOST}, not know the session any
 * more (it ended there) or not answer: then its copy is fenced by its lease, which the fail-back revokes and waits
 * out before it touches anything here, as the automatic one does.
 * </ul>
 */
final class OrderedFailBack {
    private static final Logger LOG = System.getLogger(OrderedFailBack.class.getName());
    /** Phases in which the destination's copy runs, or is the guest for good. */
    private static final Set<String> LIVE_THERE = Set.of("RUNNING", "RECOVERING", "COMPLETED");

    /**
     * A copy kept paused here after a post-copy failed with its guest handed over, with what a fail-back needs.
     *
     * @param journaled the session's journal entry, written again for the fail-back's stages
     * @param failure   why the migration failed
     */
    record HeldCopy(String sessionId, DomainId domain, SourceSession session, SessionJournal.Entry journaled,
                    InetSocketAddress destination, Checkpointing checkpointing, boolean verify, int stallMs,
                    String failure) {
    }

    private final XenHost host;
    private final PageServer pageServer;
    private final PeerConnector peers;
    private final SessionJournal journal;

    OrderedFailBack(XenHost host, PageServer pageServer, PeerConnector peers, SessionJournal journal) {
        this.host = host;
        this.pageServer = pageServer;
        this.peers = peers;
        this.journal = journal;
    }

    /** Fails {@code held} back, waiting out the lease first; returns what was restored, in one sentence. */
    String run(HeldCopy held) {
        refuseUnlessWhole(held.session(), held.domain());
        DomainInfo.State state = host.domains().info(held.domain()).state();
        if (state != DomainInfo.State.PAUSED) {
            throw new MigrationException(held.domain() + " is " + state.name().toLowerCase(java.util.Locale.ROOT)
                    + " here, not the paused copy the migration left: nothing to fail back");
        }
        refuseIfRunningThere(held.destination(), held.sessionId(), held.stallMs());
        LOG.log(Level.WARNING, "outgoing {0}: an administrator ordered a fail-back (the migration had failed: {1})",
                held.domain(), held.failure());
        FailBack.Result r = new FailBack(host, held.domain(), held.session(), held.checkpointing(), held.verify(),
                new FailBackJournal(journal, held.journaled())).run();
        pageServer.takenBack(held.sessionId(), held.session().grants.takenBack());
        journal.remove(held.sessionId());
        try (DestinationPeer peer = peers.destination(held.destination(), held.sessionId(), held.stallMs(),
                held.stallMs(), WireBytes.uncounted())) {
            peer.takenBack("an administrator had the source run the guest again: " + r.summary());
        } catch (MigrationException e) {
            LOG.log(Level.INFO, "outgoing {0}: the destination did not hear the take-back ({1}); it hears it on its"
                    + " next call", held.domain(), e.getMessage());
        }
        return held.domain() + " runs here again, " + r.summary();
    }

    /** The copy here and a committed checkpoint make the whole guest, or no fail-back is ordered. */
    static void refuseUnlessWhole(SourceSession s, DomainId domain) {
        if (s.checkpoints == null) {
            throw new MigrationException("refused: the migration of " + domain + " took no reverse checkpoints"
                    + " (--checkpoint-ms 0, or a destination that did not take the lease), so the copy here is the"
                    + " guest as it was at the switch and bringing it back would undo all it did since. If the guest"
                    + " is lost at the destination and that is acceptable, resume the copy here by hand (xl unpause)");
        }
        if (s.checkpoints.latest().isEmpty()) {
            throw new MigrationException("refused: no reverse checkpoint of " + domain + " was committed, so the copy"
                    + " here is the guest as it was at the switch and bringing it back would undo all it did since."
                    + " If the guest is lost at the destination and that is acceptable, resume the copy here by hand");
        }
    }

    /** Asks the destination how its copy stands; refuses if it says the guest runs (or completed) there. */
    void refuseIfRunningThere(InetSocketAddress destination, String sessionId, int stallMs) {
        LinkState there;
        try (DestinationPeer peer = peers.destination(destination, sessionId, stallMs, stallMs,
                WireBytes.uncounted())) {
            there = peer.heartbeat();
        } catch (MigrationException e) {
            // It does not know the session (it ended there: the guest was lost or destroyed) or cannot be reached:
            // either way its copy runs only on the lease the fail-back revokes and waits out.
            LOG.log(Level.INFO, "session {0}: the destination gave no state ({1}); its lease decides", sessionId,
                    e.getMessage());
            return;
        }
        if (LIVE_THERE.contains(there.phase())) {
            throw new MigrationException("refused: the destination says its copy of the guest is " + there.phase()
                    + " (session " + sessionId + "): the guest lives there, and a fail-back would make two guests."
                    + " If its link is cut, xlpc migrate --resume reconnects it");
        }
    }
}
