package org.xenpostcopy.migration.peer;

/** What went wrong at (or on the way to) the peer, so the engine can act on it without parsing messages. */
public enum PeerError {
    /** The peer has no session of that id. */
    UNKNOWN_SESSION,
    /** The request was malformed or out of bounds; nothing was changed. */
    BAD_REQUEST,
    /** The peer's hypervisor refused an operation. */
    HOST_ERROR,
    /** The session is in a phase where the call is not allowed. */
    WRONG_STATE,
    /** The peer did not finish in the time it was given. */
    TIMEOUT,
    /** The caller is not allowed to make the call. */
    UNAUTHORIZED,
    /** No such domain on the peer's host. */
    NO_SUCH_DOMAIN,
    /**
     * The connection failed (refused, reset, timed out): the peer's state is unknown. The one error a recovery
     * can retry; every other one is the peer's considered answer.
     */
    CONNECTION
}
