package org.xenpostcopy.migration.peer;

import org.xenpostcopy.migration.MigrationException;

/** A call to the other host failed; {@link #error} says how, the message says it in one sentence. */
public final class PeerException extends MigrationException {
    private final PeerError error;

    public PeerException(PeerError error, String message) {
        super(message);
        this.error = error;
    }

    public PeerException(PeerError error, String message, Throwable cause) {
        super(message, cause);
        this.error = error;
    }

    public PeerError error() {
        return error;
    }

    /** A malformed or out-of-bounds request. */
    public static PeerException badRequest(String message) {
        return new PeerException(PeerError.BAD_REQUEST, message);
    }
}
