package org.xenpostcopy.fuzz;

import java.time.Duration;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the fuzzer sent and saw, across threads: frames and replies counted, the domains and sessions its well-formed
 * prepares may have made, and its findings — each a connection that hung, got an internal error or an unreadable
 * reply, or (refused peers) got any reply at all.
 */
final class FuzzTally {
    final AtomicLong frames = new AtomicLong();
    final AtomicLong connections = new AtomicLong();
    final AtomicLong replies = new AtomicLong();
    final AtomicLong refusedEarly = new AtomicLong();
    final Map<Mutation, AtomicInteger> mutations = new EnumMap<>(Mutation.class);
    /** Well-formed prepares of peers the daemons let in: these may make domains and sessions. */
    final Set<String> preparedDomains = ConcurrentHashMap.newKeySet();
    final Set<String> preparedSessions = ConcurrentHashMap.newKeySet();
    /**
     * Domains of well-formed prepares of peers the daemons must refuse: these must make nothing. (Their sessions are
     * not kept: an id may be a let-in peer's too, so it cannot tell whose prepare made a session.)
     */
    final Set<String> refusedPeersDomains = ConcurrentHashMap.newKeySet();
    /** Extra counts by name (TLS record mutations, handshake attacks). */
    final Map<String, AtomicInteger> kinds = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<String> findings = new ConcurrentLinkedQueue<>();
    private final Duration answerTimeout;

    FuzzTally(Duration answerTimeout) {
        this.answerTimeout = answerTimeout;
        for (Mutation m : Mutation.values()) {
            mutations.put(m, new AtomicInteger());
        }
    }

    /** A connection of a peer the daemons let in is about to send {@code c}. */
    void sent(FuzzPlan.Connection c) {
        count(c);
        c.frames().forEach(f -> mutations.get(f.mutation()).incrementAndGet());
        WellFormedPrepares.collect(c, preparedDomains, preparedSessions);
    }

    /** A connection of a peer the daemons must refuse is about to send {@code c}. */
    void sentByRefusedPeer(FuzzPlan.Connection c) {
        count(c);
        WellFormedPrepares.collect(c, refusedPeersDomains, new HashSet<>());
    }

    private void count(FuzzPlan.Connection c) {
        connections.incrementAndGet();
        frames.addAndGet(c.frames().size());
    }

    void countKind(String kind) {
        kinds.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
    }

    /** How a let-in peer's connection ended: it may be answered, never with an internal error, and must not hang. */
    void outcome(FuzzPlan.Connection c, FuzzConnection.Outcome o) {
        tallyReplies(o);
        String what = null;
        if (o.hung()) {
            what = "no answer and no close within " + answerTimeout.toSeconds() + " s";
        } else if (!o.replies().internalErrors().isEmpty()) {
            what = "internal errors " + o.replies().internalErrors();
        } else if (o.replies().unreadable() != null && !o.reset()) {
            what = "an unreadable reply: " + o.replies().unreadable();
        }
        finding(c, what);
    }

    /** How a refused peer's connection ended: closed, not hung, and nothing of it answered. */
    void refusedOutcome(FuzzPlan.Connection c, String how, FuzzConnection.Outcome o) {
        tallyReplies(o);
        String what = null;
        if (o.hung()) {
            what = how + ": no close within " + answerTimeout.toSeconds() + " s";
        } else if (o.replies().messages() > 0) {
            what = how + ": a refused peer got " + o.replies().messages() + " replies";
        }
        finding(c, what);
    }

    private void tallyReplies(FuzzConnection.Outcome o) {
        replies.addAndGet(o.replies().messages());
        if (o.refusedEarly()) {
            refusedEarly.incrementAndGet();
        }
    }

    private void finding(FuzzPlan.Connection c, String what) {
        if (what != null) {
            findings.add("connection " + c.index() + " to the " + (c.toSource() ? "source" : "destination") + ": "
                    + what + "; frames " + c.frames());
        }
    }
}
