package org.xenpostcopy.migration.control;

import org.xenpostcopy.migration.RemoteError;
import java.util.Objects;

/**
 * A control request was refused or failed. The message is the one sentence a user sees ({@code xlpc: …}); the
 * {@link RemoteError} says what kind of failure it is, so the Thrift edge can map it to its error code.
 */
public final class ControlException extends RuntimeException {
    private final RemoteError error;

    public ControlException(RemoteError error, String message) {
        this(error, message, null);
    }

    public ControlException(RemoteError error, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.error = Objects.requireNonNull(error, "error");
    }

    public RemoteError error() {
        return error;
    }

    static ControlException badRequest(String message) {
        return new ControlException(RemoteError.BAD_REQUEST, message);
    }
}
