package org.xenpostcopy.fuzz;

import java.io.IOException;

/**
 * One fuzzed connection to a daemon: a planned connection's frames sent, then whatever the daemon answers read until
 * it closes. Plain ({@link PlainFuzzConnection}) or inside TLS ({@link TlsFuzzConnection}).
 */
interface FuzzConnection extends AutoCloseable {
    /**
     * How it ended.
     *
     * @param replies      what the daemon answered (inside TLS: the decrypted bytes)
     * @param refusedEarly the daemon closed (or refused the handshake) before the last frame was written
     * @param reset        the daemon reset or broke off the connection (it closed with bytes unread, or ended TLS with
     *                     an alert), so the last reply may be cut
     * @param hung         the daemon neither answered nor closed within the timeout
     */
    record Outcome(Replies replies, boolean refusedEarly, boolean reset, boolean hung) {
    }

    /** Sends the frames (after the TLS handshake, if any), then ends the writing side. */
    void send(FuzzPlan.Connection c);

    /** Reads until the daemon closes (or the timeout passes). */
    Outcome finish();

    @Override
    void close() throws IOException;
}
