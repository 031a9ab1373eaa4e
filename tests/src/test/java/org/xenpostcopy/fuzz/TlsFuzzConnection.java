package org.xenpostcopy.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLEngineResult.Status;
import javax.net.ssl.SSLException;

/**
 * One fuzzed connection inside TLS: the fuzzer's own {@link SSLEngine} over a plain socket, so that besides sending
 * frames as an allowed peer it can break what a TLS library never would — its own handshake flights
 * ({@link FlightTamper}) and the records its frames are encrypted into ({@link RecordMutation}). After the frames it
 * sends close_notify and half-closes, and reads and decrypts whatever the daemon answers until it closes.
 */
final class TlsFuzzConnection implements FuzzConnection {
    /** What the fuzzer does to its own handshake records: each write of the handshake, in order from 0. */
    @FunctionalInterface
    interface FlightTamper {
        FlightTamper NONE = (write, last, bytes) -> bytes;

        /**
         * @param write 0 for the ClientHello, then counting on
         * @param last  whether this write ends the client's handshake (its Finished)
         * @return what to send instead of {@code bytes}
         */
        byte[] apply(int write, boolean last, byte[] bytes);
    }

    private static final ByteBuffer NOTHING = ByteBuffer.allocate(0);
    /** {@link RecordMutation#DRIBBLE}'s most bytes in one write, and its longest stretch of frame dribbled. */
    private static final int DRIBBLE_MAX = 7;
    private static final int DRIBBLE_SPAN = 16 << 10;

    private final Socket socket;
    private final SSLEngine engine;
    private final RecordMutation records;
    private final FlightTamper tamper;
    private final Random random;
    private ByteBuffer netIn;   // write mode: bytes read, not yet decrypted
    private ByteBuffer netOut;
    private ByteBuffer appIn;
    private final ByteArrayOutputStream plaintext = new ByteArrayOutputStream();
    private boolean refusedEarly;
    private boolean handshakeFailed;
    private boolean hungInHandshake;

    /**
     * @param records how one of its frames' records is broken ({@link RecordMutation#NONE}: none)
     * @param tamper  what it does to its own handshake
     * @param random  drawn from for where the record mutation lands, and how
     */
    TlsFuzzConnection(InetSocketAddress daemon, InetAddress from, Duration timeout, SSLEngine engine,
                      RecordMutation records, FlightTamper tamper, Random random) throws IOException {
        this.engine = engine;
        this.records = records;
        this.tamper = tamper;
        this.random = random;
        int packet = engine.getSession().getPacketBufferSize();
        netIn = ByteBuffer.allocate(2 * packet);
        netOut = ByteBuffer.allocate(packet);
        appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
        socket = new Socket();
        try {
            socket.bind(new InetSocketAddress(from, 0));
            socket.connect(daemon, (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            socket.setTcpNoDelay(true);   // so a dribbled record really arrives in pieces
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * A link that fuzzes as {@code identity}; each connection draws its record mutation (if {@code breakRecords})
     * from {@code seed} and its index alone.
     */
    static FuzzLink link(FuzzerIdentity identity, long seed, boolean breakRecords, FuzzTally tally) {
        return (daemon, from, timeout, index) -> {
            Random r = recordRandom(seed, index);
            RecordMutation m = breakRecords ? RecordMutation.draw(r) : RecordMutation.NONE;
            tally.countKind("records " + m);
            return new TlsFuzzConnection(daemon, from, timeout, identity.engine(), m, FlightTamper.NONE, r);
        };
    }

    /** How connection {@code index} of a link that breaks records breaks them (as {@link #link} draws it). */
    static RecordMutation recordMutation(long seed, int index) {
        return RecordMutation.draw(recordRandom(seed, index));
    }

    /** Connection {@code index}'s draws for its records: the mutation first, then where and how it lands. */
    private static Random recordRandom(long seed, int index) {
        return new Random(seed ^ 0x7F4A7C15L ^ (0xBF58476D1CE4E5B9L * (index + 1)));
    }

    /** Whether the handshake failed (the daemon refused this peer, or its tampered handshake). */
    boolean handshakeFailed() {
        return handshakeFailed;
    }

    @Override
    public void send(FuzzPlan.Connection c) {
        try {
            handshake();
        } catch (SocketTimeoutException e) {
            hungInHandshake = true;
            return;
        } catch (IOException e) {
            handshakeFailed = true;
            refusedEarly = true;
            shutdownOutput();
            return;
        }
        try {
            OutputStream out = socket.getOutputStream();
            int target = records == RecordMutation.NONE ? -1 : random.nextInt(c.frames().size());
            for (int i = 0; i < c.frames().size(); i++) {
                byte[] frame = c.frames().get(i).bytes();
                if (i == target && records == RecordMutation.KEY_UPDATE) {
                    engine.beginHandshake();   // after the handshake, in TLS 1.3: a KeyUpdate
                }
                List<byte[]> encrypted = wrap(frame);
                if (i == target && !encrypted.isEmpty()) {
                    encrypted = records.apply(encrypted, frame, random);
                }
                if (i == target && records == RecordMutation.DRIBBLE) {
                    dribble(out, encrypted);
                } else {
                    for (byte[] record : encrypted) {
                        out.write(record);
                    }
                }
                if (i == target && records == RecordMutation.TRUNCATE) {
                    out.flush();
                    socket.shutdownOutput();   // cut mid-record: no close_notify
                    return;
                }
            }
            engine.closeOutbound();
            for (byte[] alert : wrap(new byte[0])) {
                out.write(alert);
            }
            out.flush();
            socket.shutdownOutput();
        } catch (IOException closedByDaemon) {
            refusedEarly = true;   // it dropped the connection before the last frame went: expected for broken records
        }
    }

    @Override
    public Outcome finish() {
        boolean hung = hungInHandshake;
        boolean reset = false;
        boolean broken = handshakeFailed;   // from here on the bytes are read, not decrypted
        try {
            InputStream in = socket.getInputStream();
            byte[] b = new byte[16 << 10];
            while (!hung) {
                if (!broken) {
                    broken = !decryptWhatCame();
                }
                int n = in.read(b);
                if (n < 0) {
                    break;
                }
                if (!broken) {
                    room(n).put(b, 0, n);
                }
            }
        } catch (SocketTimeoutException e) {
            hung = true;
        } catch (IOException e) {
            reset = true;
        }
        return new Outcome(Replies.parse(plaintext.toByteArray()), refusedEarly, reset || broken, hung);
    }

    /** One unwrap of the bytes read so far into {@code appIn}, cleared first; {@code netIn} is left to read into. */
    private SSLEngineResult unwrapWhatCame() throws SSLException {
        netIn.flip();
        appIn.clear();
        try {
            return engine.unwrap(netIn, appIn);
        } finally {
            netIn.compact();
        }
    }

    /** Decrypts every whole record read so far; false once TLS broke (an alert from the daemon, say). */
    private boolean decryptWhatCame() {
        try {
            while (true) {
                SSLEngineResult r = unwrapWhatCame();
                appIn.flip();
                plaintext.write(appIn.array(), 0, appIn.limit());
                switch (r.getStatus()) {
                    case BUFFER_UNDERFLOW, CLOSED -> {
                        return true;
                    }
                    case BUFFER_OVERFLOW -> appIn = ByteBuffer.allocate(2 * appIn.capacity());
                    case OK -> {
                        afterHandshakeMessage(r.getHandshakeStatus());
                        if (r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
                            return true;   // nothing more to do with what came: read on
                        }
                    }
                }
            }
        } catch (IOException e) {
            return false;
        }
    }

    /** A session ticket or a KeyUpdate of the daemon's may ask for a task; nothing is written back. */
    private void afterHandshakeMessage(HandshakeStatus hs) {
        if (hs == HandshakeStatus.NEED_TASK) {
            runTasks();
        }
    }

    /** The client side of the handshake, each of its writes passed through {@link #tamper}. */
    private void handshake() throws IOException {
        OutputStream out = socket.getOutputStream();
        InputStream in = socket.getInputStream();
        engine.beginHandshake();
        HandshakeStatus hs = engine.getHandshakeStatus();
        int writes = 0;
        while (hs != HandshakeStatus.FINISHED && hs != HandshakeStatus.NOT_HANDSHAKING) {
            switch (hs) {
                case NEED_WRAP -> {
                    netOut.clear();
                    SSLEngineResult r = engine.wrap(NOTHING, netOut);
                    if (r.getStatus() == Status.BUFFER_OVERFLOW) {
                        netOut = ByteBuffer.allocate(2 * netOut.capacity());
                        continue;
                    }
                    netOut.flip();
                    byte[] bytes = Arrays.copyOf(netOut.array(), netOut.limit());
                    hs = r.getHandshakeStatus();
                    if (bytes.length > 0) {
                        out.write(tamper.apply(writes++, hs == HandshakeStatus.FINISHED, bytes));
                        out.flush();
                    }
                    if (r.getStatus() == Status.CLOSED) {
                        throw new EOFException("TLS closed in the handshake");
                    }
                }
                case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                    SSLEngineResult r = unwrapWhatCame();
                    switch (r.getStatus()) {
                        case BUFFER_UNDERFLOW -> {
                            byte[] b = new byte[16 << 10];
                            int n = in.read(b);
                            if (n < 0) {
                                throw new EOFException("the daemon closed in the handshake");
                            }
                            room(n).put(b, 0, n);
                        }
                        case BUFFER_OVERFLOW -> appIn = ByteBuffer.allocate(2 * appIn.capacity());
                        case CLOSED -> throw new EOFException("the daemon ended TLS in the handshake");
                        case OK -> {
                        }
                    }
                    hs = engine.getHandshakeStatus();
                }
                case NEED_TASK -> {
                    runTasks();
                    hs = engine.getHandshakeStatus();
                }
                default -> throw new SSLException("unexpected handshake state " + hs);
            }
        }
    }

    /** {@code data} encrypted, one array per record (a KeyUpdate asked for goes first). */
    private List<byte[]> wrap(byte[] data) throws IOException {
        List<byte[]> out = new ArrayList<>();
        ByteBuffer src = ByteBuffer.wrap(data);
        do {
            netOut.clear();
            SSLEngineResult r = engine.wrap(src, netOut);
            if (r.getStatus() == Status.BUFFER_OVERFLOW) {
                netOut = ByteBuffer.allocate(2 * netOut.capacity());
                continue;
            }
            if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                runTasks();
            }
            netOut.flip();
            if (netOut.hasRemaining()) {
                out.add(Arrays.copyOf(netOut.array(), netOut.limit()));
            }
            if (r.getStatus() == Status.CLOSED) {
                break;
            }
        } while (src.hasRemaining() || engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP);
        return out;
    }

    /** Writes the records a few bytes at a time (past {@link #DRIBBLE_SPAN}, the rest at once). */
    private void dribble(OutputStream out, List<byte[]> encrypted) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        encrypted.forEach(all::writeBytes);
        byte[] bytes = all.toByteArray();
        int at = 0;
        while (at < Math.min(bytes.length, DRIBBLE_SPAN)) {
            int n = Math.min(1 + random.nextInt(DRIBBLE_MAX), bytes.length - at);
            out.write(bytes, at, n);
            out.flush();
            at += n;
        }
        out.write(bytes, at, bytes.length - at);
    }

    private ByteBuffer room(int n) {
        if (netIn.remaining() < n) {
            ByteBuffer bigger = ByteBuffer.allocate(netIn.position() + n + netIn.capacity());
            netIn.flip();
            bigger.put(netIn);
            netIn = bigger;
        }
        return netIn;
    }

    private void runTasks() {
        for (Runnable t; (t = engine.getDelegatedTask()) != null; ) {
            t.run();
        }
    }

    private void shutdownOutput() {
        try {
            socket.shutdownOutput();
        } catch (IOException ignored) {
            // the daemon closed already
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
