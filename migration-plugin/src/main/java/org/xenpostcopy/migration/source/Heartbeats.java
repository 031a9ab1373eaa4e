package org.xenpostcopy.migration.source;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.peer.LinkState;
import org.xenpostcopy.migration.MigrationException;

/**
 * Watches one set of connections to the destination after the switch, on a thread of its own, and calls the link
 * cut the first time any of these holds:
 * <ul>
 *   <li>a heartbeat (every fifth of the stall limit, on its own connection) fails or gets no answer in time;</li>
 *   <li>the destination says it is PAUSED (it lost its demand channel, or stopped hearing from us);</li>
 *   <li>pages are owed (sent, not yet settled there) and none has settled for the stall limit — a push write that
 *       does not move, pages lost in flight on a connection that died quietly, a trickle no timeout catches.</li>
 * </ul>
 * A cut closes the peer, so whatever call the migration is blocked in fails at once and recovery begins.
 */
final class Heartbeats implements AutoCloseable {
    private static final Logger LOG = System.getLogger(Heartbeats.class.getName());

    private final DestinationPeer peer;
    private final SourceSession session;
    private final long stallNanos;
    private final AtomicReference<String> cut = new AtomicReference<>();
    private final Thread thread;
    private volatile boolean closed;

    private Heartbeats(DestinationPeer peer, SourceSession session, long stallMs, String name) {
        this.peer = peer;
        this.session = session;
        this.stallNanos = TimeUnit.MILLISECONDS.toNanos(stallMs);
        this.thread = new Thread(this::run, "heartbeats-" + name);
        thread.setDaemon(true);
    }

    static Heartbeats start(DestinationPeer peer, SourceSession session, long stallMs) {
        Heartbeats h = new Heartbeats(peer, session, stallMs, session.domain.toString());
        h.thread.start();
        return h;
    }

    /** Why the link was counted as cut, or null if it was not. */
    String cut() {
        return cut.get();
    }

    private void run() {
        long interval = stallNanos / 5;
        long lastSettled = -1;
        long settledChangedAt = System.nanoTime();
        while (!closed) {
            LockSupport.parkNanos(interval);
            if (closed) {
                return;
            }
            LinkState state;
            try {
                state = peer.heartbeat();
            } catch (MigrationException e) {     // a failed call, or a heartbeat connection that would not open
                if (!closed) {
                    declare("heartbeat: " + e.getMessage());
                }
                return;
            } catch (RuntimeException e) {
                // Not a link failure, but a watch that stops watching must not go unnoticed: the same move.
                LOG.log(Level.ERROR, "outgoing " + session.domain + ": the heartbeat failed", e);
                if (!closed) {
                    declare("heartbeat: " + e);
                }
                return;
            }
            long now = System.nanoTime();
            if (state.guestOps() >= 0) {
                session.destinationGuestOps = state.guestOps();
            }
            if (state.guestLost()) {
                // Not a cut, but the same move ends the push at once; the reconnect hears why and fails for good.
                declare("the destination reports its guest lost");
                return;
            }
            if (state.cutAtDestination()) {
                declare("the destination paused the session (it lost its demand channel or stopped hearing us)");
                return;
            }
            if (state.pagesSettled() != lastSettled) {
                lastSettled = state.pagesSettled();
                settledChangedAt = now;
            } else if (lastSettled < state.pagesExpected()
                    && session.settledBeforeRestart + session.distinctPagesSent() > lastSettled
                    && now - settledChangedAt > stallNanos) {
                declare((session.settledBeforeRestart + session.distinctPagesSent() - lastSettled)
                        + " pages sent and none settled at the destination"
                        + " for " + TimeUnit.NANOSECONDS.toMillis(now - settledChangedAt) + " ms");
                return;
            }
        }
    }

    private void declare(String why) {
        if (cut.compareAndSet(null, why)) {
            LOG.log(Level.WARNING, "outgoing {0}: link to the destination cut: {1}", session.domain, why);
            peer.close();       // fails the push or the completion wait at once
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.NANOSECONDS.toMillis(stallNanos) + 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
