package org.xenpostcopy.migration.control;

/**
 * What kind of refusal a {@link ControlException} is, so a caller can act on it without parsing the message.
 * The first seven mirror the wire's {@code TErrorCode} one to one; {@link #UNREACHABLE} exists only on the client
 * side (no daemon answered, or the connection broke mid-call) and is never sent by a daemon.
 */
public enum ControlError {
    /** no migration with that id on this daemon (finished and already reported, or never started) */
    UNKNOWN_SESSION,
    /** the request itself is wrong: a bad value, a missing name */
    BAD_REQUEST,
    /** the host refused or failed (a Xen or xenstore error) */
    HOST_ERROR,
    /** the request does not fit what the daemon is doing now */
    WRONG_STATE,
    /** the daemon gave up waiting */
    TIMEOUT,
    /** the caller did not present this daemon's shared token */
    UNAUTHORIZED,
    /** no domain by that name or id on this host */
    NO_SUCH_DOMAIN,
    /** client side only: the daemon could not be reached, or the connection to it failed */
    UNREACHABLE
}
