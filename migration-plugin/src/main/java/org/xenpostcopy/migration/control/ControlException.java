package org.xenpostcopy.migration.control;

import java.util.Objects;

/**
 * A control request was refused or failed. The message is the one sentence a user sees ({@code xlpc: …}); the
 * {@link ControlError} says what kind of failure it is, so the Thrift edge can map it to its error code.
 */
public final class ControlException extends RuntimeException {
    private final ControlError error;

    public ControlException(ControlError error, String message) {
        this(error, message, null);
    }

    public ControlException(ControlError error, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.error = Objects.requireNonNull(error, "error");
    }

    public ControlError error() {
        return error;
    }

    static ControlException badRequest(String message) {
        return new ControlException(ControlError.BAD_REQUEST, message);
    }
}
