package org.xenpostcopy.migration.destination;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.xenpostcopy.migration.peer.Completion;

/**
 * Sessions completed lately, by id, with the answer their source was given: a source whose completion reply was
 * lost in a cut reconnects and asks again, and gets the same answer. Kept for ten minutes.
 */
final class FinishedSessions {
    private static final long KEPT_NANOS = TimeUnit.MINUTES.toNanos(10);

    /** A completed session: its physmap span and its completion record. */
    record Finished(long gfnCount, Completion completion, long at) {
    }

    private final Map<String, Finished> finished = new ConcurrentHashMap<>();

    void put(String sessionId, long gfnCount, Completion completion) {
        finished.put(sessionId, new Finished(gfnCount, completion, System.nanoTime()));
    }

    /** The record, or null, without waiting. */
    Finished peek(String sessionId) {
        return sessionId == null ? null : finished.get(sessionId);
    }

    /**
     * The record, or null. A session whose books are being closed right now (its phase is COMPLETED, its record not
     * yet written) is waited for: its completer holds its lock.
     *
     * @param live the sessions still open, by id
     */
    Finished await(String sessionId, Function<String, IncomingMigration> live) {
        if (sessionId == null) {
            return null;
        }
        Finished f = finished.get(sessionId);
        IncomingMigration m;
        if (f == null && (m = live.apply(sessionId)) != null && m.phase() == DestinationPhase.COMPLETED) {
            synchronized (m) {
                f = finished.get(sessionId);
            }
        }
        return f;
    }

    /** Forgets the records kept long enough. */
    void prune(long now) {
        finished.values().removeIf(f -> now - f.at() > KEPT_NANOS);
    }
}
