package org.xenpostcopy.migration.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.xenpostcopy.migration.tls.PeerIdentity;
import org.xenpostcopy.migration.tls.TlsEngine;

/**
 * TLS records over a {@link SocketStream}, with an {@link SSLEngine} (BoringSSL's or the JDK's, see
 * {@link TlsEngine}). The engine keeps the transport on its NIO path: a page payload is decrypted straight into the
 * protocol's direct buffer when it has room for a whole record, and is encrypted from the page buffer into one
 * buffer of several records per write. The record buffers are of the kind the engine wants: direct for BoringSSL
 * (which would otherwise copy them), on the heap for the JDK, whose AES-GCM is faster on arrays than on direct
 * buffers by more than the copy the socket then makes (TLS throughput 0.55-0.67 against 0.42-0.49 GB/s here).
 *
 * <p>One thread uses a stream at a time (the connection's caller, or its server thread), as for the plain socket.
 * The handshake runs before the first byte is read or written; a failed one sends its alert to the peer and
 * fails with the engine's reason (the allow-list or the CA said no). No close_notify is sent on close: Thrift
 * messages delimit themselves, and a close must not block on a peer that stopped reading.
 */
final class TlsStream implements ChannelStream, AutoCloseable {
    private static final ByteBuffer NOTHING = ByteBuffer.allocate(0);
    /** Records encrypted per socket write, and read per socket read at most: fewer system calls for bulk pages. */
    private static final int RECORDS_PER_WRITE = 8;
    private static final int RECORDS_PER_READ = 4;

    private final SocketStream socket;
    private final TlsEngine tls;
    private final SSLEngine engine;
    private final boolean direct;
    private ByteBuffer netIn;    // write mode: records read from the socket, not yet decrypted
    private long bytesReceived;
    private final ByteBuffer netOut;
    private ByteBuffer appIn;    // read mode: decrypted bytes not yet handed out
    private PeerIdentity peer;   // set once the handshake is done
    private SSLException afterHandshake;   // the failure of a record read with the handshake's end, thrown at first use

    TlsStream(SocketStream socket, TlsEngine tls) {
        this.socket = socket;
        this.tls = tls;
        this.engine = tls.sslEngine();
        this.direct = tls.wantsDirectBuffers();
        int packet = engine.getSession().getPacketBufferSize();
        netIn = records(packet * RECORDS_PER_READ);
        netOut = records(packet * RECORDS_PER_WRITE);
        appIn = ByteBuffer.allocateDirect(engine.getSession().getApplicationBufferSize());
        appIn.flip();
    }

    /**
     * The engine is closed: by this end's close of the connection (which frees BoringSSL's engine, so a thread inside
     * it sees CLOSED rather than the socket's own error) or by the peer's alert.
     */
    private IOException closed() {
        return socket.isOpen() ? new EOFException("TLS is closed") : new ClosedChannelException();
    }

    private ByteBuffer records(int capacity) {
        return direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
    }

    /** Frees the engine (its native state, for BoringSSL); the socket is closed by its owner. */
    @Override
    public void close() {
        tls.close();
    }

    /** Runs the handshake if it has not run yet; returns the peer's verified identity. */
    PeerIdentity handshake() throws IOException {
        if (peer != null) {
            return peer;
        }
        engine.beginHandshake();
        HandshakeStatus hs = engine.getHandshakeStatus();
        try {
            while (hs != HandshakeStatus.FINISHED && hs != HandshakeStatus.NOT_HANDSHAKING) {
                hs = switch (hs) {
                    case NEED_WRAP -> wrapHandshake();
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> unwrapHandshake();
                    case NEED_TASK -> runTasks();
                    default -> throw new SSLException("unexpected handshake state " + hs);
                };
            }
            // BoringSSL's engine may call its handshake finished with this end's last flight (a client's Finished)
            // still inside it: sent now, or a peer that only reads would wait for it.
            while (wrapNothing().bytesProduced() > 0) {
                // until the engine has nothing more to send
            }
        } catch (SSLException e) {
            sendAlert();
            Optional<X509Certificate> verified = e instanceof SSLHandshakeException ? Optional.empty()
                    : peerCertificate();
            if (verified.isEmpty()) {
                throw e;
            }
            // BoringSSL finishes the handshake and decrypts the record behind it in one call: a record that fails
            // there is the peer's first record failing, not a refused handshake, and is reported as such when the
            // connection is first read.
            peer = identityOf(verified.get());
            afterHandshake = e;
            return peer;
        } catch (EOFException e) {
            throw new SSLException(e.getMessage(), e);   // a TLS failure to the caller, not an unreachable host
        }
        peer = identityOf(peerCertificate().orElseThrow(
                () -> new SSLException("the peer presented no certificate")));   // cannot happen: both sides demand one
        return peer;
    }

    private Optional<X509Certificate> peerCertificate() {
        try {
            return Optional.of((X509Certificate) engine.getSession().getPeerCertificates()[0]);
        } catch (SSLPeerUnverifiedException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * A resumed session skips the certificate checks (both providers resume TLS 1.3 sessions, BoringSSL's for up to
     * days): the certificate's validity is checked again at each handshake. The allow-list and the CA cannot have
     * changed, being fixed for the life of the process whose session cache holds the session.
     */
    private static PeerIdentity identityOf(X509Certificate certificate) throws SSLException {
        try {
            certificate.checkValidity();
        } catch (java.security.cert.CertificateException e) {
            throw new SSLException("the peer's certificate is not valid now (" + e.getMessage() + ")", e);
        }
        return PeerIdentity.of(certificate);
    }

    private HandshakeStatus wrapHandshake() throws IOException {
        return wrapNothing().getHandshakeStatus();
    }

    /** Sends what the engine has to say of its own (handshake messages, alerts). */
    private SSLEngineResult wrapNothing() throws IOException {
        netOut.clear();
        SSLEngineResult r = engine.wrap(NOTHING, netOut);
        netOut.flip();
        socket.writeFully(netOut);
        if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
            throw closed();
        }
        return r;
    }

    private HandshakeStatus unwrapHandshake() throws IOException {
        SSLEngineResult r = unwrapInto(appIn, false);
        return switch (r.getStatus()) {
            case OK -> r.getHandshakeStatus();
            case BUFFER_UNDERFLOW -> {
                if (r.getHandshakeStatus() == HandshakeStatus.FINISHED) {
                    yield HandshakeStatus.FINISHED;   // BoringSSL's way: the peer's last message done, no data after it
                }
                readRecords("the peer closed the connection during the TLS handshake (as a daemon without TLS "
                        + "does)");
                yield engine.getHandshakeStatus();
            }
            case BUFFER_OVERFLOW -> {
                growAppIn();
                yield engine.getHandshakeStatus();
            }
            case CLOSED -> throw new EOFException("the peer ended TLS during the handshake");
        };
    }

    private HandshakeStatus runTasks() {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
        return engine.getHandshakeStatus();
    }

    /** After a failed handshake the engine holds an alert for the peer; it is sent if the socket takes it. */
    private void sendAlert() {
        try {
            netOut.clear();
            engine.wrap(NOTHING, netOut);
            netOut.flip();
            socket.writeFully(netOut);
        } catch (IOException ignored) {
            // the peer is gone already; the handshake's own failure is what is reported
        }
    }

    @Override
    public int readSome(ByteBuffer dst) throws IOException {
        handshake();
        if (afterHandshake != null) {
            throw refusedOrBroken(afterHandshake);
        }
        boolean overflowed = false;
        while (true) {
            if (appIn.hasRemaining()) {
                int n = Math.min(appIn.remaining(), dst.remaining());
                ByteBuffer part = appIn.duplicate();
                part.limit(part.position() + n);
                dst.put(part);
                appIn.position(appIn.position() + n);
                return n;
            }
            // A payload with room for a whole record is decrypted in place: no copy through appIn.
            boolean inPlace = !overflowed && dst.remaining() >= engine.getSession().getApplicationBufferSize();
            SSLEngineResult r;
            try {
                r = unwrapInto(inPlace ? dst : appIn, inPlace);
            } catch (SSLException e) {
                throw refusedOrBroken(e);
            }
            switch (r.getStatus()) {
                case OK -> {
                    afterHandshakeMessage(r.getHandshakeStatus());
                    if (inPlace && r.bytesProduced() > 0) {
                        return r.bytesProduced();
                    }
                }
                case BUFFER_UNDERFLOW -> {
                    if (!readRecords(null)) {
                        return -1;
                    }
                }
                case BUFFER_OVERFLOW -> {
                    if (inPlace) {
                        overflowed = true;   // the engine wants more room than it said: through appIn from now on
                    } else {
                        growAppIn();
                    }
                }
                case CLOSED -> {
                    if (!socket.isOpen()) {
                        throw new ClosedChannelException();   // closed here, which freed the engine
                    }
                    return -1;   // the peer's close_notify
                }
            }
        }
    }

    /**
     * An alert after the handshake is, in TLS 1.3, almost always the server refusing this client's certificate:
     * the client finishes its side of the handshake before the server has checked the client's chain.
     */
    private static IOException refusedOrBroken(SSLException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("Received fatal alert") || m.contains("_ALERT_")) {   // the JDK's words, BoringSSL's
            return new SSLException("the peer refused this connection (" + e.getMessage() + "): is this host's "
                    + "certificate signed by the peer's CA, and on the peer's tls.allow list?", e);
        }
        return e;
    }

    /** Decrypts one record from {@code netIn} into {@code target} ({@code appIn} is kept in read mode). */
    private SSLEngineResult unwrapInto(ByteBuffer target, boolean inPlace) throws SSLException {
        netIn.flip();
        try {
            if (inPlace) {
                return engine.unwrap(netIn, target);
            }
            appIn.compact();
            try {
                return engine.unwrap(netIn, appIn);
            } finally {
                appIn.flip();
            }
        } finally {
            netIn.compact();
        }
    }

    /**
     * Reads more records; false at the end of the stream (with {@code eofMessage} null), else throws. Called on an
     * underflow, when {@code netIn} (compacted) holds less than one whole record; it only grows if the session's
     * largest record no longer fits (allocating a buffer per read cost 95 % of the throughput).
     */
    private boolean readRecords(String eofMessage) throws IOException {
        int packet = engine.getSession().getPacketBufferSize();
        if (netIn.capacity() < packet) {
            ByteBuffer bigger = records(packet * RECORDS_PER_READ);
            netIn.flip();
            bigger.put(netIn);
            netIn = bigger;
        }
        int n = socket.readSome(netIn);
        if (n < 0) {
            if (eofMessage != null && bytesReceived == 0 && !engine.getUseClientMode()) {
                throw new SilentPeerException();
            }
            if (eofMessage != null) {
                throw new EOFException(eofMessage);
            }
            return false;
        }
        bytesReceived += n;
        return true;
    }

    /**
     * A client closed the connection without sending a byte: a port probe or a health check ({@code nc -z}, a load
     * balancer's TCP check), not a peer that tried TLS and failed.
     */
    static final class SilentPeerException extends EOFException {
        SilentPeerException() {
            super("the peer closed the connection without sending anything (a port probe or a TCP health check)");
        }
    }

    private void growAppIn() {
        ByteBuffer bigger = ByteBuffer.allocateDirect(appIn.remaining() + engine.getSession().getApplicationBufferSize());
        bigger.put(appIn);
        bigger.flip();
        appIn = bigger;
    }

    /**
     * A post-handshake message (a session ticket, a key update) may ask for an answer or a task, and so may a record
     * that failed: BoringSSL's engine then asks to send its alert, and throws the failure from the first wrap after
     * the alert has gone — so a wrap is asked for until one produces nothing.
     */
    private void afterHandshakeMessage(HandshakeStatus hs) throws IOException {
        while (hs == HandshakeStatus.NEED_TASK || hs == HandshakeStatus.NEED_WRAP) {
            if (hs == HandshakeStatus.NEED_TASK) {
                hs = runTasks();
                continue;
            }
            SSLEngineResult r;
            do {
                r = wrapNothing();
            } while (r.bytesProduced() > 0 && r.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING);
            hs = r.getHandshakeStatus();
        }
    }

    @Override
    public void writeFully(ByteBuffer src) throws IOException {
        handshake();
        if (afterHandshake != null) {
            throw refusedOrBroken(afterHandshake);
        }
        int packet = engine.getSession().getPacketBufferSize();
        while (src.hasRemaining()) {
            netOut.clear();
            while (src.hasRemaining() && netOut.remaining() >= packet) {
                SSLEngineResult r = engine.wrap(src, netOut);
                if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                    throw closed();
                }
                if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                    break;   // cannot happen with a packet's room left; the next round starts empty
                }
                if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                    runTasks();
                }
            }
            netOut.flip();
            socket.writeFully(netOut);
        }
    }
}
