package org.xenpostcopy.migration.protocol;

import java.util.Optional;
import org.xenpostcopy.migration.tls.PeerIdentity;

/**
 * Who sent the request a handler is serving: the verified identity of the TLS connection it came on, or empty on a
 * plain connection and outside a request.
 *
 * <p>Scoped to the server thread: {@code TThreadPoolServer} serves each connection on one thread, one request at
 * a time, and {@link IdentifiedConnection} sets the identity around every request it dispatches and clears it
 * after. A handler (or what it calls on the same thread) reads it with {@link #current()}; it is not inherited by
 * threads the handler starts — those must take the value with them.
 */
public final class CallingPeer {
    private static final ThreadLocal<PeerIdentity> CURRENT = new ThreadLocal<>();

    private CallingPeer() {
    }

    /** The identity of the connection whose request this thread is serving. */
    public static Optional<PeerIdentity> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    static void set(Optional<PeerIdentity> peer) {
        if (peer.isPresent()) {
            CURRENT.set(peer.get());
        } else {
            CURRENT.remove();
        }
    }

    static void clear() {
        CURRENT.remove();
    }
}
