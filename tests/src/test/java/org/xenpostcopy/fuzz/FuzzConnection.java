package org.xenpostcopy.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * One fuzzed connection as raw bytes on a socket: its frames written back to back, the writing side then closed (so a
 * truncated frame ends at once instead of waiting out the daemon's stall limit), and whatever the daemon answers
 * read until it closes.
 */
final class FuzzConnection implements AutoCloseable {
    /**
     * How it ended.
     *
     * @param refusedEarly the daemon closed before the last frame was written
     * @param reset        the daemon reset the connection (it closed with bytes unread), so the last reply may be cut
     * @param hung         the daemon neither answered nor closed within the timeout
     */
    record Outcome(Replies replies, boolean refusedEarly, boolean reset, boolean hung) {
    }

    private final Socket socket;
    private boolean refusedEarly;

    /**
     * @param from    the local address to connect from (the fuzzer's own, so the daemon's per-peer cap applies to
     *                it and not to the migration beside it)
     * @param timeout how long the daemon may take to answer and close after the last byte; longer is reported as hung
     */
    FuzzConnection(InetSocketAddress daemon, InetAddress from, Duration timeout) throws IOException {
        socket = new Socket();
        try {
            socket.bind(new InetSocketAddress(from, 0));
            socket.connect(daemon, (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** Connects, sends, and reads the answer: {@link #send} then {@link #finish}. */
    static Outcome exchange(InetSocketAddress daemon, InetAddress from, FuzzPlan.Connection c, Duration timeout)
            throws IOException {
        try (FuzzConnection f = new FuzzConnection(daemon, from, timeout)) {
            f.send(c);
            return f.finish();
        }
    }

    /** Writes every frame, then closes the writing side. */
    void send(FuzzPlan.Connection c) {
        try {
            OutputStream out = socket.getOutputStream();
            for (FuzzPlan.Frame f : c.frames()) {
                out.write(f.bytes());
            }
            out.flush();
            socket.shutdownOutput();
        } catch (IOException closedByDaemon) {
            refusedEarly = true;   // it dropped the connection before the last frame went: expected for garbage
        }
    }

    /** Reads until the daemon closes (or the timeout passes). */
    Outcome finish() {
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        boolean hung = false;
        boolean reset = false;
        try {
            InputStream in = socket.getInputStream();
            byte[] b = new byte[8192];
            for (int n; (n = in.read(b)) >= 0; ) {
                answer.write(b, 0, n);
            }
        } catch (SocketTimeoutException e) {
            hung = true;
        } catch (IOException e) {
            reset = true;   // after a refusal: what was read so far is the answer
        }
        return new Outcome(Replies.parse(answer.toByteArray()), refusedEarly, reset, hung);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
