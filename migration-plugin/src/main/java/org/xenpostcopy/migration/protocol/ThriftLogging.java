package org.xenpostcopy.migration.protocol;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Thrift library's own log. Its server logs a stack trace for every client that drops a connection or sends a
 * malformed frame; {@link GuardedProcessor} logs one line for those instead, so the library is usually kept quiet.
 */
public final class ThriftLogging {
    /** Held so the level set here is not lost when the logger would otherwise be garbage-collected. */
    private static final Logger LIBRARY = Logger.getLogger("org.apache.thrift");

    private ThriftLogging() {
    }

    /** Sets the level of the library's log ({@link Level#OFF} to silence it). */
    public static void libraryLevel(Level level) {
        LIBRARY.setLevel(level);
    }
}
