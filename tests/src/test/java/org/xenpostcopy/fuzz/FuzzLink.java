package org.xenpostcopy.fuzz;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;

/** How the fuzzer reaches a daemon's port: plain TCP, or TLS as some identity. */
@FunctionalInterface
interface FuzzLink {
    /**
     * Connects (the TLS handshake, if any, runs on the first send).
     *
     * @param from    the local address to connect from (the fuzzer's own, so the daemon's per-peer cap applies to
     *                it and not to the migration beside it)
     * @param timeout how long the daemon may take to answer and close after the last byte; longer is reported as hung
     * @param index   the planned connection's index: whatever the link itself draws follows from it and the seed
     */
    FuzzConnection open(InetSocketAddress daemon, InetAddress from, Duration timeout, int index) throws IOException;

    /** Connects, sends, and reads the answer. */
    default FuzzConnection.Outcome exchange(InetSocketAddress daemon, InetAddress from, FuzzPlan.Connection c,
                                            Duration timeout) throws IOException {
        try (FuzzConnection f = open(daemon, from, timeout, c.index())) {
            f.send(c);
            return f.finish();
        }
    }
}
