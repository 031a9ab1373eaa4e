package org.xenpostcopy.migration.source;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Outgoing sessions that are over but whose destination may still call: the guest was taken back here (the
 * destination must destroy its copy) or released after completion (its copy runs on no lease from then on).
 * Remembered for {@link #KEPT}, and with a durable journal on disk too, so a daemon restarted in the meantime still
 * answers a late destination rightly — a destination told nothing would hold its copy paused, or worse, be granted
 * nothing and wait.
 */
final class SettledSessions {
    static final Duration KEPT = Duration.ofMinutes(10);

    private final SessionJournal journal;
    private final LongSupplier wallClockMs;
    private final Map<String, SessionJournal.Settled> settled = new ConcurrentHashMap<>();

    /** Settled sessions kept in {@code journal}, with those a previous daemon left there that are still kept. */
    SettledSessions(SessionJournal journal) {
        this(journal, System::currentTimeMillis);
    }

    SettledSessions(SessionJournal journal, LongSupplier wallClockMs) {
        this.journal = journal;
        this.wallClockMs = wallClockMs;
        for (SessionJournal.Settled s : journal.settled()) {
            settled.put(s.sessionId(), s);
        }
        prune();
    }

    /** The guest of {@code sessionId} runs here again: its destination must destroy its copy. */
    void takenBack(String sessionId, String why) {
        put(new SessionJournal.Settled(sessionId, true, why, wallClockMs.getAsLong() + KEPT.toMillis()));
    }

    /** The copy of {@code sessionId} here was destroyed after completion: its destination's guest is its own. */
    void released(String sessionId) {
        put(new SessionJournal.Settled(sessionId, false, "", wallClockMs.getAsLong() + KEPT.toMillis()));
    }

    private void put(SessionJournal.Settled s) {
        prune();
        settled.put(s.sessionId(), s);
        journal.writeSettled(s);
    }

    /** Why the guest of {@code sessionId} was taken back, if it was (and that is still kept). */
    Optional<String> whyTakenBack(String sessionId) {
        SessionJournal.Settled s = kept(sessionId);
        return s != null && s.takenBack() ? Optional.of(s.why()) : Optional.empty();
    }

    /** Whether {@code sessionId} was released after completion (and that is still kept). */
    boolean isReleased(String sessionId) {
        SessionJournal.Settled s = kept(sessionId);
        return s != null && !s.takenBack();
    }

    private SessionJournal.Settled kept(String sessionId) {
        SessionJournal.Settled s = sessionId == null ? null : settled.get(sessionId);
        return s != null && s.keepUntilEpochMs() > wallClockMs.getAsLong() ? s : null;
    }

    /** Forgets, here and on disk, what has been kept long enough. */
    void prune() {
        long now = wallClockMs.getAsLong();
        for (SessionJournal.Settled s : settled.values()) {
            if (s.keepUntilEpochMs() <= now && settled.remove(s.sessionId(), s)) {
                journal.removeSettled(s.sessionId());
            }
        }
    }
}
