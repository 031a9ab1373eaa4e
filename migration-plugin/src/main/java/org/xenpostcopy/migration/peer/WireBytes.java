package org.xenpostcopy.migration.peer;

import java.util.concurrent.atomic.LongAdder;

/**
 * The bytes one side of a migration moved through the sockets of the connections it opened, counted at the socket
 * call: TLS records and Thrift framing included, TCP/IP headers not. Each connection is counted once, by the side
 * that opened it (the source: control, push, heartbeat; the destination: demand and checkpoints), so the two
 * sides' counts add up to everything the migration put on the wire. A session's count outlives its connections:
 * the connections of a reconnect add to it.
 */
public final class WireBytes {
    private final LongAdder sent = new LongAdder();
    private final LongAdder received = new LongAdder();

    /** For connections nobody accounts for (control calls of the CLI, tests). */
    public static WireBytes uncounted() {
        return new WireBytes();
    }

    public void sent(long bytes) {
        sent.add(bytes);
    }

    public void received(long bytes) {
        received.add(bytes);
    }

    /** Bytes written to the sockets of this side's connections. */
    public long sent() {
        return sent.sum();
    }

    /** Bytes read from them. */
    public long received() {
        return received.sum();
    }
}
