package org.xenpostcopy.migration;

/** A migration failed; the message is one sentence for the administrator, saying where the guest now runs. */
public class MigrationException extends RuntimeException {
    public MigrationException(String message) {
        super(message);
    }

    public MigrationException(String message, Throwable cause) {
        super(message, cause);
    }
}
