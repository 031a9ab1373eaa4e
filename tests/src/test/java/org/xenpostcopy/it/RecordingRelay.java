package org.xenpostcopy.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP relay to one target that looks at every byte crossing it, both ways: how many there were, and
 * whether a given byte pattern was among them (found across read boundaries too). What an eavesdropper on the
 * link between two daemons would see.
 */
final class RecordingRelay implements AutoCloseable {
    private final LoopbackRelay relay;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicBoolean patternSeen = new AtomicBoolean();

    RecordingRelay(InetSocketAddress target, byte[] pattern) throws IOException {
        relay = new LoopbackRelay("relay", target, towardsTarget -> {
            StreamSearch search = new StreamSearch(pattern);
            return (read, n, streamPos) -> {
                if (search.next(read, n, streamPos) >= 0) {
                    patternSeen.set(true);
                }
                bytes.addAndGet(n);
            };
        });
    }

    InetSocketAddress address() {
        return relay.address();
    }

    long bytesRelayed() {
        return bytes.get();
    }

    boolean sawPattern() {
        return patternSeen.get();
    }

    @Override
    public void close() throws IOException {
        relay.close();
    }
}
