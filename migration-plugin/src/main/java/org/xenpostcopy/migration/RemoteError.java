package org.xenpostcopy.migration;

/**
 * What kind of failure a call to another daemon met — a migration peer's or a control client's — so the caller
 * can act on it without parsing the message. All but {@link #CONNECTION} are the other end's considered answer
 * (the wire's {@code TErrorCode}, one to one).
 */
public enum RemoteError {
    /** No session (or migration) of that id there: finished and already reported, or never started. */
    UNKNOWN_SESSION,
    /** The request was malformed or out of bounds; nothing was changed. */
    BAD_REQUEST,
    /** The other end's host refused or failed (a Xen or xenstore error). */
    HOST_ERROR,
    /** The request does not fit the phase the other end is in. */
    WRONG_STATE,
    /** The other end did not finish in the time it was given. */
    TIMEOUT,
    /** The caller is not allowed to make the call. */
    UNAUTHORIZED,
    /** No such domain on the other end's host. */
    NO_SUCH_DOMAIN,
    /**
     * A destination asked to recover a session it prepared but never resumed: the guest never ran there, so the
     * source may abort the session and resume its own copy.
     */
    NOT_RESUMED,
    /**
     * The source took the guest back (it runs there again from its copy and last checkpoint): the destination's
     * copy must never run again.
     */
    TAKEN_BACK,
    /**
     * Caller side only: the other end could not be reached, or the connection broke mid-call, so its state is
     * unknown. The one failure a recovery may retry; never sent by a daemon.
     */
    CONNECTION
}
