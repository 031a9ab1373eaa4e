package org.xenpostcopy.migration.tls;

/** TLS credentials that cannot be used: the message names the file and what is wrong with it, in one sentence. */
public final class TlsSetupException extends RuntimeException {
    public TlsSetupException(String message) {
        super(message);
    }

    public TlsSetupException(String message, Throwable cause) {
        super(message, cause);
    }
}
