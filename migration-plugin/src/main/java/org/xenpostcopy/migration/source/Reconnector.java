package org.xenpostcopy.migration.source;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.PhaseMachine;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.peer.Reattachment;

/**
 * Brings a paused post-copy session back after a cut (QEMU's {@code postcopy-paused} → {@code migrate-recover}, but
 * led by the source on its own): fresh connections, then {@code reconnect} — the destination names the pages it
 * still misses and the source takes their claims back, so each goes again (a page that was only late arrives twice
 * and its second copy is dropped) — then {@code recovered}, and the destination reopens its demand channel and
 * asks again for every fault still waiting. Attempts back off from 100 ms to 1 s until the give-up time;
 * {@link #retryNow} cuts a wait short ({@code xlpc migrate --resume}).
 *
 * <p>With reverse checkpoints the wait has a second end: a destination that has had no grant of its lease for the
 * lease's length is given up on and the guest comes back here
 * ({@link FailBackDue}, then {@link FailBack}).
 */
final class Reconnector {
    private static final Logger LOG = System.getLogger(Reconnector.class.getName());
    private static final long FIRST_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 1000;

    private final PeerConnector peers;
    private final InetSocketAddress destination;
    /** Where the destination reaches this host's page server (told at every reconnect: it may have moved). */
    private final InetSocketAddress self;
    private final SourceSession session;
    private final PhaseMachine<SourcePhase> phase;
    private final MigrationProgress progress;
    private final long controlTimeoutMs;
    private final int stallMs;
    private final long giveUpMs;
    /** The destination's lease with checkpointing (0: no checkpoints, no fail-back). */
    private final long leaseMs;
    private final Object retry = new Object();
    /** Set for a session a restarted daemon took over, until its first reconnect has set its books. */
    private boolean firstAfterRestart;
    private boolean retryAsked;
    /** Why an administrator ordered a fail-back, or null. */
    private String failBackOrdered;
    /** The destination said it no longer knows the session (said once in the log). */
    private boolean sessionLostThere;

    Reconnector(PeerConnector peers, InetSocketAddress destination, InetSocketAddress self, SourceSession session,
                PhaseMachine<SourcePhase> phase, MigrationProgress progress, long controlTimeoutMs, int stallMs,
                long giveUpMs, boolean restarted) {
        this(peers, destination, self, session, phase, progress, controlTimeoutMs, stallMs, giveUpMs, restarted, 0);
    }

    /** @param leaseMs the destination's lease when the session is checkpointed, else 0 */
    Reconnector(PeerConnector peers, InetSocketAddress destination, InetSocketAddress self, SourceSession session,
                PhaseMachine<SourcePhase> phase, MigrationProgress progress, long controlTimeoutMs, int stallMs,
                long giveUpMs, boolean restarted, long leaseMs) {
        this.leaseMs = session.checkpoints == null ? 0 : leaseMs;
        this.firstAfterRestart = restarted;
        this.peers = peers;
        this.destination = destination;
        this.self = self;
        this.session = session;
        this.phase = phase;
        this.progress = progress;
        this.controlTimeoutMs = controlTimeoutMs;
        this.stallMs = stallMs;
        this.giveUpMs = giveUpMs;
    }

    /** The destination never ran the guest (its resume was lost): the source may abort and take the guest back. */
    static final class NeverResumed extends MigrationException {
        NeverResumed(PeerException cause) {
            super("the destination never resumed the guest: " + cause.getMessage(), cause);
        }
    }

    /**
     * The destination is given up on and the guest must come back here: it has had no grant of its lease for the
     * lease's length (dead, or cut off).
     */
    static final class FailBackDue extends MigrationException {
        FailBackDue(String why) {
            super(why);
        }
    }

    /**
     * An administrator gives the destination up ({@code xlpc migrate --fail-back}): the next turn of the reconnect
     * loop fails back instead of trying again. Only with checkpoints (else there is no fail-back).
     */
    void failBackNow(String why) {
        synchronized (retry) {
            failBackOrdered = why;
            retry.notifyAll();
        }
    }

    /** Ends the present back-off wait at once; true if the session was waiting to reconnect. */
    boolean retryNow() {
        synchronized (retry) {
            retryAsked = true;
            retry.notifyAll();
        }
        return phase.phase() == SourcePhase.PAUSED;
    }

    /**
     * Reconnects, from {@link SourcePhase#PAUSED}; returns the new peer with the session in
     * {@link SourcePhase#POSTCOPY} again.
     *
     * @throws MigrationException at the give-up time, or at once if the destination no longer has the session
     */
    DestinationPeer reconnect(String why) {
        long cutAt = System.nanoTime();
        long deadline = cutAt + TimeUnit.MILLISECONDS.toNanos(giveUpMs);
        long backoff = FIRST_BACKOFF_MS;
        String last = why;
        for (int attempt = 1; ; attempt++) {
            progress.update("paused (reconnecting, attempt " + attempt + ")", session.pagesSent(), session.sent.toSend(),
                    session.demandRequests.get());
            DestinationPeer peer = null;
            try {
                // reconnect and recovered answer at once: a few stall limits, not the control timeout (minutes),
                // bound an attempt, so a hung one neither eats the give-up time nor outlasts a --resume.
                peer = peers.destination(destination, session.id, Math.min(controlTimeoutMs, 4L * stallMs), stallMs,
                        session.wire);
                phase.advance(SourcePhase.PAUSED, SourcePhase.RECOVERING);
                progress.update("recovering", session.pagesSent(), session.sent.toSend(), session.demandRequests.get());
                Reattachment r = peer.reconnect(session.gfnCount, self);
                long again = session.sent.reclaimMissing(r.missing());
                if (firstAfterRestart) {
                    // This daemon sent nothing yet: what is missing goes for the first time as far as its books go,
                    // and what the destination has is counted as sent before.
                    session.settledBeforeRestart = r.pagesSettled();
                    session.receivedBeforeRestart = r.pagesReceived();
                    firstAfterRestart = false;
                } else {
                    session.resentPages.addAndGet(again);
                }
                peer.recovered();
                phase.advance(SourcePhase.RECOVERING, SourcePhase.POSTCOPY);
                synchronized (retry) {
                    if (failBackOrdered != null) {
                        // The destination came back first: going on is safer than taking the guest from it.
                        LOG.log(Level.WARNING, "outgoing {0}: reconnected before the ordered fail-back began; the"
                                + " migration goes on", session.domain);
                        failBackOrdered = null;
                    }
                }
                LOG.log(Level.INFO, "outgoing {0}: reconnected after {1} ms ({2} attempts); {3} pages to send again",
                        session.domain, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt), attempt, again);
                return peer;
            } catch (PeerException e) {
                closeQuietly(peer);
                phase.tryAdvance(SourcePhase.RECOVERING, SourcePhase.PAUSED);
                if (e.error() == RemoteError.NOT_RESUMED) {
                    throw new NeverResumed(e);
                }

                if (e.error() == RemoteError.UNKNOWN_SESSION && leaseMs > 0) {
                    // The destination's daemon restarted: it forgot the session but not the lease its guest ran on,
                    // so that copy is held paused (Xen: the exit fence, then the new daemon) until this host says
                    // it took the guest back. A destination that died, then: wait the lease out and fail back.
                    if (!sessionLostThere) {
                        sessionLostThere = true;
                        LOG.log(Level.WARNING, "outgoing {0}: session unknown at the destination (its daemon"
                                + " restarted: {1}); the guest comes back here once the destination''s lease has run"
                                + " out", session.domain, e.getMessage());
                    }
                    last = e.getMessage();
                } else if (e.error() != RemoteError.CONNECTION && e.error() != RemoteError.WRONG_STATE) {
                    // The destination answered, and not with "try again" (WRONG_STATE: it paused again between
                    // reconnect and recovered, a new cut): it lost the session with no lease to fall back on, or
                    // the guest. No reconnect mends that.
                    throw new MigrationException("the destination refused to resume the session after a cut: "
                            + e.getMessage(), e);
                } else {
                    last = e.getMessage();
                }
            } catch (MigrationException e) {
                closeQuietly(peer);            // the connections could not be opened
                phase.tryAdvance(SourcePhase.RECOVERING, SourcePhase.PAUSED);
                last = e.getMessage();
            }
            long silentMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - session.grants.lastGrant());
            String ordered = failBackOrdered();
            if (leaseMs > 0 && ordered != null) {
                throw new FailBackDue(ordered + " (last: " + last + ")");
            }
            if (leaseMs > 0 && silentMs >= leaseMs) {
                throw new FailBackDue("no word from the destination for " + silentMs + " ms, past its " + leaseMs
                        + " ms lease (last: " + last + ")");
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                String gaveUp = "gave up reconnecting to the destination after " + giveUpMs / 1000 + " s and "
                        + attempt + " attempts (last: " + last + ")";
                if (leaseMs > 0) {
                    // Never give up with the copy paused here: a destination that forgot the session holds its
                    // copy paused until told, so the guest would stand stopped on both hosts. Take it back instead
                    // (the fail-back still waits out every lease granted).
                    throw new FailBackDue(gaveUp);
                }
                throw new MigrationException(gaveUp);
            }
            long wait = Math.min(TimeUnit.MILLISECONDS.toNanos(backoff), left);
            if (leaseMs > 0) {
                // Wake when the lease runs out, not a back-off later.
                wait = Math.max(1, Math.min(wait, TimeUnit.MILLISECONDS.toNanos(leaseMs - silentMs)));
            }
            awaitRetry(wait);
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        }
    }

    private String failBackOrdered() {
        synchronized (retry) {
            return failBackOrdered;
        }
    }

    private void awaitRetry(long nanos) {
        long until = System.nanoTime() + nanos;
        synchronized (retry) {
            long left;
            while (!retryAsked && failBackOrdered == null && (left = until - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(retry, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new MigrationException("interrupted while reconnecting to the destination");
                }
            }
            retryAsked = false;
        }
    }

    private static void closeQuietly(DestinationPeer peer) {
        if (peer != null) {
            peer.close();
        }
    }
}
