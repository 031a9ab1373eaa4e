package org.xenpostcopy.fuzz;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Counts the log records of this JVM that match, while open: how often a daemon said it refused something (the
 * fuzzer cannot see that from outside for a oneway call or a closed handshake). Counts, so thousands of lines cost no
 * heap the memory check would see.
 */
final class CountedLog extends Handler implements AutoCloseable {
    private final Predicate<LogRecord> matches;
    private final AtomicLong count = new AtomicLong();

    /** Records of the logger {@code loggerName} whose message pattern starts with {@code prefix}. */
    CountedLog(String loggerName, String prefix) {
        this(loggerName, prefix, "");
    }

    /**
     * Records of the logger {@code loggerName} whose message pattern starts with {@code prefix} and whose first
     * parameter (the peer, in the daemons' lines) starts with {@code firstParameter}.
     */
    CountedLog(String loggerName, String prefix, String firstParameter) {
        this.matches = r -> loggerName.equals(r.getLoggerName()) && r.getMessage() != null
                && r.getMessage().startsWith(prefix) && (firstParameter.isEmpty() || r.getParameters() != null
                && r.getParameters().length > 0 && String.valueOf(r.getParameters()[0]).startsWith(firstParameter));
        setLevel(Level.ALL);
        Logger.getLogger("").addHandler(this);
    }

    long count() {
        return count.get();
    }

    @Override
    public void publish(LogRecord r) {
        if (matches.test(r)) {
            count.incrementAndGet();
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        Logger.getLogger("").removeHandler(this);
    }
}
