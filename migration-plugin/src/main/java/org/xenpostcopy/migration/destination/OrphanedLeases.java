package org.xenpostcopy.migration.destination;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.peer.SourcePeer;
import org.xenpostcopy.migration.peer.WireBytes;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.XenHost;

/**
 * Guests a previous daemon ran here on a source's lease ({@link LeaseJournal}), found at this daemon's start: the
 * lease died with that daemon, and the source may have restored the guest meanwhile. Each is held paused from the
 * start until its source, asked on every {@link #askSources round}, says what became of the session: released (the
 * guest is this host's: it runs again) or taken back (the source runs it: the copy here is destroyed). Anything else
 * — the source does not know the session, cannot be reached, still grants it — keeps it paused, for as long as it
 * takes: paused is never wrong, a second running copy is.
 */
final class OrphanedLeases {
    private static final Logger LOG = System.getLogger(OrphanedLeases.class.getName());
    /** How long a source may take to answer. */
    private static final int ASK_MS = 5_000;

    private final XenHost host;
    private final PeerConnector peers;
    private final LeaseJournal journal;
    /** The guests held, by session, and whether this daemon paused them (a guest re-attached paused stays so). */
    private final Map<LeaseJournal.Entry, Boolean> held = new ConcurrentHashMap<>();
    /** Why each session's guest was last found still held (logged when it changes). */
    private final Map<String, String> heldBecause = new ConcurrentHashMap<>();

    OrphanedLeases(XenHost host, PeerConnector peers, LeaseJournal journal) {
        this.host = host;
        this.peers = peers;
        this.journal = journal;
    }

    /** Pauses every guest the journal names that still exists here; returns how many are held. */
    int holdAll() {
        for (LeaseJournal.Entry e : journal.entries()) {
            DomainId d = DomainId.of(e.domid());
            DomainInfo info = infoOrNull(e);
            if (info == null) {
                journal.remove(e.sessionId());     // destroyed meanwhile: nothing to hold
                continue;
            }
            boolean pausedHere = false;
            if (info.state() == DomainInfo.State.RUNNING) {
                host.domains().pauseWithoutWaiting(d);
                pausedHere = true;
            } else if (info.state() == DomainInfo.State.PAUSED && info.pagedPages() == 0) {
                // Paused by the old daemon's exit fence (DomainControl.pauseIfThisProcessDies), the lease's promise
                // kept on real Xen: ours to let run again if released. One with pages still out stays paused: it
                // cannot run without a pager, and a released guest never has any.
                pausedHere = true;
            }
            held.put(e, pausedHere);
            LOG.log(Level.WARNING, "session {0}: {1} ran here on the lease of its source {2}:{3} when the daemon"
                    + " stopped; held paused until the source says it released the guest or took it back",
                    e.sessionId(), d, e.sourceHost(), String.valueOf(e.sourcePort()));
        }
        return held.size();
    }

    /** Asks the source of every guest still held; returns how many are still held after. */
    int askSources() {
        for (Map.Entry<LeaseJournal.Entry, Boolean> h : held.entrySet()) {
            try {
                askOne(h.getKey(), h.getValue());
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "session " + h.getKey().sessionId() + ": asking its source failed", e);
            }
        }
        return held.size();
    }

    private void askOne(LeaseJournal.Entry e, boolean pausedHere) {
        DomainId d = DomainId.of(e.domid());
        if (infoOrNull(e) == null) {
            forget(e, "no longer exists here");
            return;
        }
        boolean released;
        try (SourcePeer source = peers.source(new InetSocketAddress(e.sourceHost(), e.sourcePort()), e.sessionId(),
                e.gfnCount(), ASK_MS, WireBytes.uncounted())) {
            // Not a ping: a ping's answer renews the lease, and a source renewing it for a guest held paused here
            // would wait for it for good instead of taking it back (real-Xen lab, run 21).
            released = source.hasReleased();
        } catch (PeerException ex) {
            if (ex.error() == RemoteError.TAKEN_BACK) {
                host.domains().destroy(d);
                forget(e, "was taken back by its source (" + ex.getMessage() + "): destroyed here");
            }
            stillHeld(e, ex.getMessage());       // unreachable or refused: still held
            return;
        } catch (RuntimeException ex) {
            stillHeld(e, "the source could not be asked: " + ex.getMessage());
            return;
        }
        if (released) {
            if (pausedHere) {
                host.domains().unpause(d);
            }
            forget(e, "was released by its source: " + (pausedHere ? "it runs again" : "left as it was"));
        } else {
            stillHeld(e, "the source has neither released the guest nor taken it back yet");
        }
    }

    /** Says why a guest is still held, once each time the reason changes: what it waits for, for an operator. */
    private void stillHeld(LeaseJournal.Entry e, String why) {
        if (!why.equals(heldBecause.put(e.sessionId(), why))) {
            LOG.log(Level.WARNING, "session {0}: dom{1} still held paused: {2}", e.sessionId(),
                    String.valueOf(e.domid()), why);
        }
    }

    private void forget(LeaseJournal.Entry e, String what) {
        held.remove(e);
        heldBecause.remove(e.sessionId());
        journal.remove(e.sessionId());
        LOG.log(Level.WARNING, "session {0}: dom{1} {2}", e.sessionId(), String.valueOf(e.domid()), what);
    }

    private DomainInfo infoOrNull(LeaseJournal.Entry e) {
        try {
            DomainInfo info = host.domains().info(DomainId.of(e.domid()));
            return info.name().equals(e.domainName()) ? info : null;
        } catch (RuntimeException gone) {
            return null;
        }
    }

    /** Sessions whose guest is held now. */
    int heldCount() {
        return held.size();
    }
}
