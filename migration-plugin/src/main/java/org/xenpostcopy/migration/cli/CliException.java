package org.xenpostcopy.migration.cli;

/** A command failed; the message is the one line the user sees. */
final class CliException extends RuntimeException {
    private final int exitCode;

    CliException(String message) {
        this(message, 1, null);
    }

    CliException(String message, int exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
