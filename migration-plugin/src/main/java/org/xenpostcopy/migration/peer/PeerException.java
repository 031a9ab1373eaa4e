package org.xenpostcopy.migration.peer;

import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.MigrationException;

/** A call to the other host failed; {@link #error} says how, the message says it in one sentence. */
public final class PeerException extends MigrationException {
    private final RemoteError error;

    public PeerException(RemoteError error, String message) {
        super(message);
        this.error = error;
    }

    public PeerException(RemoteError error, String message, Throwable cause) {
        super(message, cause);
        this.error = error;
    }

    public RemoteError error() {
        return error;
    }

    /** A malformed or out-of-bounds request. */
    public static PeerException badRequest(String message) {
        return new PeerException(RemoteError.BAD_REQUEST, message);
    }
}
