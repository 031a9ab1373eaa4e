package org.xenpostcopy.fuzz;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Every SEVERE line logged in this JVM while open: the daemon's own ERROR lines and libthrift's (through
 * slf4j-jdk14), among them "Error occurred during processing of message", which the thread-pool server writes when an
 * exception escapes a connection's processing. The daemon logs a refused peer as a WARNING; an error is a finding.
 */
final class SevereLog extends Handler implements AutoCloseable {
    private static final SimpleFormatter FORMAT = new SimpleFormatter();
    private final List<String> lines = new CopyOnWriteArrayList<>();

    SevereLog() {
        setLevel(Level.SEVERE);
        Logger.getLogger("").addHandler(this);
    }

    List<String> lines() {
        return List.copyOf(lines);
    }

    @Override
    public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= Level.SEVERE.intValue()) {
            lines.add(r.getLoggerName() + ": " + FORMAT.formatMessage(r)
                    + (r.getThrown() == null ? "" : " (" + r.getThrown() + ")"));
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
