package org.xenpostcopy.it;

import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Whether a class's logger has said something since the watch was opened: for a test that must wait for a step it
 * cannot see from outside (the first checkpoint committed, say), with {@link org.xenpostcopy.xen.Await}.
 */
final class LogWatch extends Handler implements AutoCloseable {
    private final Logger logger;
    private final String text;
    private final AtomicLong said = new AtomicLong();
    private volatile String last;

    /** Watches the logger of {@code logging} for a message (its pattern, unformatted) containing {@code text}. */
    LogWatch(Class<?> logging, String text) {
        this(logging.getName(), text);
    }

    /** The same for a logger named {@code loggerName} (a class the test cannot see). */
    LogWatch(String loggerName, String text) {
        this.logger = Logger.getLogger(loggerName);
        this.text = text;
        logger.addHandler(this);
    }

    boolean said() {
        return said.get() > 0;
    }

    /** The last time it was said, its parameters filled in; null if never. */
    String lastSaid() {
        return last;
    }

    /** How many times it has been said. */
    long count() {
        return said.get();
    }

    @Override
    public void publish(LogRecord r) {
        if (r.getMessage() != null && r.getMessage().contains(text)) {
            last = new SimpleFormatter().formatMessage(r);
            said.incrementAndGet();
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
