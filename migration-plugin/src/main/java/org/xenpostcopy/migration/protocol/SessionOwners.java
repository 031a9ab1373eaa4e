package org.xenpostcopy.migration.protocol;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.xenpostcopy.migration.LogText;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.tls.PeerIdentity;

/**
 * Which TLS identity may act on each migration session. On a destination the session belongs to the identity that
 * prepared it ({@link #claim}); on a source the demand fetches of a session may come only from the destination
 * it was sent to, the identity whose server certificate the source verified when it connected ({@link #expect}).
 * Every later call names the caller ({@link #check}); one from any other identity is refused with
 * {@link RemoteError#UNAUTHORIZED} and a log line, before the engine sees it, so no page moves and no phase
 * changes. Identities are compared by {@link PeerIdentity#name()} (a host's client and server certificates carry
 * the same name, as {@code xlpc tls init} makes them).
 *
 * <p>On plain connections ({@code --insecure}, loopback labs) there is no identity: every caller is the same
 * anonymous one, and the session id — a random UUID a caller must already know — is all that separates sessions.
 *
 * <p>A binding is kept while its session is known here ({@code known}) and forgotten lazily, at the next binding,
 * once the session has been unknown for {@link #FORGET_AFTER_NANOS}: long enough to span a prepare (bound before
 * the engine registers the session) and a completed session's kept reply.
 */
public final class SessionOwners {
    private static final Logger LOG = System.getLogger(SessionOwners.class.getName());
    /** How long a binding outlives its session's last sign of life. */
    static final long FORGET_AFTER_NANOS = TimeUnit.MINUTES.toNanos(10);
    /** The name plain connections go by. */
    private static final String ANONYMOUS = "";

    /** An owner and when its session was last seen alive here. */
    private record Owner(String key, String shown, long seenAt) {
    }

    private final Map<String, Owner> owners = new ConcurrentHashMap<>();
    private final Predicate<String> known;
    private final LongSupplier clock;

    /** @param known whether this host still knows a session (live, or finished and its answer kept) */
    public SessionOwners(Predicate<String> known) {
        this(known, System::nanoTime);
    }

    SessionOwners(Predicate<String> known, LongSupplier clock) {
        this.known = known;
        this.clock = clock;
    }

    /**
     * Binds a new session to its caller. A session already bound to the caller stays so (a retried prepare); one
     * bound to another identity is refused.
     *
     * @return whether this call made the binding (so a failed prepare can {@link #release} it)
     * @throws PeerException UNAUTHORIZED if the session belongs to another identity
     */
    boolean claim(String sessionId, Optional<PeerIdentity> caller, String call) {
        forgetStale();
        Owner mine = owner(caller);
        Owner had = owners.putIfAbsent(sessionId, mine);
        if (had == null) {
            return true;
        }
        refuseUnlessSame(had, mine, sessionId, call);
        return false;
    }

    /** Forgets a binding {@link #claim} made for a session that was never created. */
    void release(String sessionId) {
        owners.remove(sessionId);
    }

    /**
     * Binds a session this host sends to the identity that will fetch its pages: the destination's.
     *
     * @throws MigrationException if the session is already bound to another identity (the address now reaches
     *                            another host than the one the session was sent to)
     */
    void expect(String sessionId, Optional<PeerIdentity> destination) {
        forgetStale();
        Owner it = owner(destination);
        Owner had = owners.putIfAbsent(sessionId, it);
        if (had != null && !had.key.equals(it.key)) {
            throw new MigrationException("the destination now answers as " + it.shown + ", but session " + sessionId
                    + " was sent to " + had.shown + ": refusing to go on with another host");
        }
    }

    /**
     * Lets the caller act on a session, or refuses it: with UNAUTHORIZED if the session belongs to someone else,
     * with BAD_REQUEST if the id is not a session id at all. A session with no binding is not this check's to
     * refuse: the engine answers that it does not know it.
     */
    void check(String sessionId, Optional<PeerIdentity> caller, String call) {
        if (!RequestBounds.isSessionId(sessionId)) {
            throw PeerException.badRequest("a session id is 1.." + RequestBounds.MAX_SESSION_ID
                    + " characters of A-Z a-z 0-9 . _ -, not '" + LogText.escape(sessionId) + "'");
        }
        Owner had = owners.get(sessionId);
        if (had != null) {
            refuseUnlessSame(had, owner(caller), sessionId, call);
        }
    }

    /** {@link #check} for the caller of the request this thread serves. */
    void check(String sessionId, String call) {
        check(sessionId, CallingPeer.current(), call);
    }

    /**
     * {@link #check} for a call that cannot answer (a oneway push): whether it may go on. A refusal is logged (by
     * {@link #check}, or here for an id that is none) and counted against no session.
     */
    boolean allows(String sessionId, String call) {
        try {
            check(sessionId, call);
            return true;
        } catch (PeerException e) {
            if (e.error() == RemoteError.BAD_REQUEST) {
                LOG.log(Level.WARNING, "dropped a {0}: {1}", call, e.getMessage());
            }
            return false;
        }
    }

    /** {@link #claim} for the caller of the request this thread serves. */
    boolean claim(String sessionId, String call) {
        return claim(sessionId, CallingPeer.current(), call);
    }

    /** How many sessions are bound (for tests and the daemon's status). */
    int size() {
        return owners.size();
    }

    private static void refuseUnlessSame(Owner had, Owner caller, String sessionId, String call) {
        if (had.key.equals(caller.key)) {
            return;
        }
        LOG.log(Level.WARNING, "refused {0} of session {1} from {2}: the session belongs to {3}", call, sessionId,
                caller.shown, had.shown);
        throw new PeerException(RemoteError.UNAUTHORIZED, call + " refused: session " + sessionId + " belongs to "
                + had.shown + ", not to " + caller.shown);
    }

    private Owner owner(Optional<PeerIdentity> who) {
        return who.map(p -> new Owner(p.name().toLowerCase(Locale.ROOT), LogText.escape(p.describe()),
                        clock.getAsLong()))
                .orElseGet(() -> new Owner(ANONYMOUS, "an unauthenticated peer", clock.getAsLong()));
    }

    /** Drops the bindings of sessions unknown here for longer than {@link #FORGET_AFTER_NANOS}. */
    private void forgetStale() {
        long now = clock.getAsLong();
        owners.replaceAll((id, o) -> known.test(id) ? new Owner(o.key, o.shown, now) : o);
        owners.entrySet().removeIf(e -> now - e.getValue().seenAt > FORGET_AFTER_NANOS && !known.test(e.getKey()));
    }
}
