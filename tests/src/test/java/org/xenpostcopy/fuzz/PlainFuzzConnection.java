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
 * One fuzzed connection as raw bytes on a plain socket: its frames written back to back, the writing side then closed
 * (so a truncated frame ends at once instead of waiting out the daemon's stall limit), and whatever the daemon answers
 * read until it closes.
 */
final class PlainFuzzConnection implements FuzzConnection {
    /** How the fuzzer reaches a plain daemon. */
    static final FuzzLink LINK = (daemon, from, timeout, index) -> new PlainFuzzConnection(daemon, from, timeout);

    private final Socket socket;
    private boolean refusedEarly;

    /**
     * @param from    the local address to connect from (the fuzzer's own, so the daemon's per-peer cap applies to
     *                it and not to the migration beside it)
     * @param timeout how long the daemon may take to answer and close after the last byte; longer is reported as hung
     */
    PlainFuzzConnection(InetSocketAddress daemon, InetAddress from, Duration timeout) throws IOException {
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

    /** Writes every frame, then closes the writing side. */
    @Override
    public void send(FuzzPlan.Connection c) {
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
    @Override
    public Outcome finish() {
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
