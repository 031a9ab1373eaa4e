package org.xenpostcopy.migration.source;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.function.LongFunction;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.PhaseMachine;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.Complete;
import org.xenpostcopy.migration.peer.Completion;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.peer.PeerException;

/**
 * Everything after the switch, across cuts: the push ({@link PushScheduler}) and the completion wait, each under
 * {@link Heartbeats}; a cut — a connection failure, or the heartbeats calling one — pauses the session and the
 * {@link Reconnector} brings it back, after which the push resumes where the claims say. The source's paused copy
 * is never touched, so a cut of any length up to the give-up time loses nothing.
 */
final class PostCopyDriver {
    private static final Logger LOG = System.getLogger(PostCopyDriver.class.getName());

    private final SourceSession session;
    private final PhaseMachine<SourcePhase> phase;
    private final Reconnector reconnector;
    private final MigrationProgress progress;
    private final int batchPages;
    private final int stallMs;
    private final Runnable handOff;
    private int cuts;
    private long pausedNanos;

    /** @param handOff called when the push is about to end (see {@link PushScheduler}), to give its link turn up */
    PostCopyDriver(SourceSession session, PhaseMachine<SourcePhase> phase, Reconnector reconnector,
                   MigrationProgress progress, int batchPages, int stallMs, Runnable handOff) {
        this.handOff = handOff;
        this.session = session;
        this.phase = phase;
        this.reconnector = reconnector;
        this.progress = progress;
        this.batchPages = batchPages;
        this.stallMs = stallMs;
    }

    /**
     * Pushes what is left and waits for the destination's completion, over {@code first} and then over whatever
     * peers recoveries open (closed here; {@code first} is the caller's).
     *
     * @param completeRequest the completion request, given the pages re-sent so far
     */
    Completion run(DestinationPeer first, LongFunction<Complete> completeRequest) {
        return run(first, null, completeRequest);
    }

    /**
     * As {@link #run(DestinationPeer, LongFunction)}, starting with a cut (the resume's reply was lost: whether the
     * guest runs there is found out by reconnecting).
     */
    Completion runAfterCut(DestinationPeer first, String why, LongFunction<Complete> completeRequest) {
        return run(first, why, completeRequest);
    }

    private Completion run(DestinationPeer first, String cutAtStart, LongFunction<Complete> completeRequest) {
        DestinationPeer peer = first;
        try {
            if (cutAtStart != null) {
                peer = pause(cutAtStart);
            }
            while (true) {
                String cut;
                try (Heartbeats heartbeats = Heartbeats.start(peer, session, stallMs)) {
                    try {
                        if (!session.sent.allClaimed()) {
                            phase.tryAdvance(SourcePhase.SWITCHING, SourcePhase.POSTCOPY);
                            new PushScheduler(session, peer, batchPages, progress, handOff).run();
                        }
                        progress.update(MigrationProgress.LAST_PAGE_SENT, session.pagesSent(), session.sent.toSend(),
                                session.demandRequests.get());
                        return peer.complete(completeRequest.apply(session.resentPages.get()));
                    } catch (PeerException e) {
                        if (e.error() != RemoteError.CONNECTION && heartbeats.cut() == null) {
                            throw e;     // the destination answered: no reconnect mends a refusal
                        }
                        cut = heartbeats.cut() != null ? heartbeats.cut() : e.getMessage();
                    }
                }
                if (peer != first) {
                    peer.close();
                }
                peer = null;
                peer = pause(cut);
            }
        } finally {
            if (peer != null && peer != first) {
                peer.close();
            }
        }
    }

    /** Pauses the session and reconnects; returns the new peer. */
    private DestinationPeer pause(String cut) {
        cuts++;
        long t0 = System.nanoTime();
        if (!phase.advanceTo(SourcePhase.PAUSED)) {
            throw new IllegalStateException("cannot pause in phase " + phase.phase());
        }
        LOG.log(Level.WARNING, "outgoing {0}: paused after a cut ({1}); the paused copy here keeps every page",
                session.domain, cut);
        try {
            return reconnector.reconnect(cut);
        } finally {
            pausedNanos += System.nanoTime() - t0;
        }
    }

    /** Times the link was cut and recovered (or given up on). */
    int cuts() {
        return cuts;
    }

    /** How long the session spent paused or recovering, in milliseconds. */
    double pausedMs() {
        return pausedNanos / 1e6;
    }

    long resentPages() {
        return session.resentPages.get();
    }
}
