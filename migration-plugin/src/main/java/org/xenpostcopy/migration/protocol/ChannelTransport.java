package org.xenpostcopy.migration.protocol;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.thrift.TConfiguration;
import org.apache.thrift.transport.TEndpointTransport;
import org.apache.thrift.transport.TTransportException;
import org.xenpostcopy.migration.peer.WireBytes;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.migration.tls.PeerIdentity;
import org.xenpostcopy.migration.tls.TlsEngine;

/**
 * A Thrift transport over a blocking {@link SocketChannel} with direct buffers. Small reads and writes go through
 * 64 KiB buffers; page payloads in direct buffers ({@link #write(ByteBuffer)}, {@link #read(ByteBuffer)}) go
 * straight between the channel and that memory. A plain socket stream would copy every payload once more through
 * a temporary direct buffer of the JDK's. With TLS, the same bytes pass through a {@link TlsStream} instead of the
 * bare {@link SocketStream}; the handshake runs on the first read or write, or on {@link #handshake()}.
 */
public final class ChannelTransport extends TEndpointTransport {
    private static final int BUFFER = 64 << 10;
    /** IPTOS_LOWDELAY: "minimize delay", in the first band of Linux's default priomap. */
    static final int LOW_DELAY = 0x10;

    private final SocketStream socket;
    private final ChannelStream stream;
    private final TlsStream tls;   // null on a plain connection
    private final ByteBuffer in = ByteBuffer.allocateDirect(BUFFER);
    private final ByteBuffer out = ByteBuffer.allocateDirect(BUFFER);
    private boolean firstRead = true;
    private Optional<PeerIdentity> peer = Optional.empty();
    /** What an accepted connection may hold before and between requests; null on a connection this host opened. */
    private final ServerLimits limits;
    private final Runnable onClose;
    private final AtomicBoolean closed = new AtomicBoolean();
    private boolean markedLowDelay;
    /** Bytes of the current request handed to the protocol so far. */
    private long consumed;

    /**
     * Wraps a channel this host connected; {@code tls} is the connection's engine, or null for plain TCP; {@code wire}
     * counts the bytes through its socket.
     */
    ChannelTransport(TConfiguration config, SocketChannel channel, TlsEngine tls, WireBytes wire)
            throws TTransportException {
        this(config, channel, tls, null, () -> { }, wire);
    }

    /**
     * Wraps an accepted channel, held to {@code limits}: a TLS handshake must end within
     * {@link ServerLimits#handshake()}; each request may be waited for {@link ServerLimits#idle()} and, once begun,
     * may pause {@link ServerLimits#messageStall()}; no request may exceed {@link ServerLimits#MAX_MESSAGE_TOTAL}.
     * {@code onClose} runs once, when the connection closes.
     */
    ChannelTransport(TConfiguration config, SocketChannel channel, TlsEngine tls, ServerLimits limits,
                     Runnable onClose) throws TTransportException {
        this(config, channel, tls, limits, onClose, WireBytes.uncounted());   // the opener counts a connection
    }

    private ChannelTransport(TConfiguration config, SocketChannel channel, TlsEngine tls, ServerLimits limits,
                             Runnable onClose, WireBytes wire) throws TTransportException {
        super(config);
        this.limits = limits;
        this.onClose = onClose;
        this.socket = new SocketStream(channel, wire);
        this.tls = tls == null ? null : new TlsStream(socket, tls);
        this.stream = this.tls == null ? socket : this.tls;
        in.flip();   // empty
        try {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, ThriftConnection.SOCKET_BUFFER);
            channel.setOption(StandardSocketOptions.SO_RCVBUF, ThriftConnection.SOCKET_BUFFER);
            channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            if (limits != null) {
                socket.setTimeout((int) limits.idle().toMillis());
                if (tls != null) {
                    socket.setDeadline(System.nanoTime() + limits.handshake().toNanos(), "no TLS handshake within "
                            + limits.handshake().toMillis() + " ms of connecting (limits.handshake-s)");
                }
            }
        } catch (IOException e) {
            throw new TTransportException(TTransportException.UNKNOWN, e);
        }
    }

    /** A request is about to be read: until its header arrives, the connection is idle. */
    void requestBegins() throws TTransportException {
        consumed = 0;
        if (limits != null) {
            setTimeout((int) limits.idle().toMillis());
        }
    }

    /** A request's header has arrived: the rest must keep coming. */
    void requestHeaderRead() throws TTransportException {
        if (limits != null) {
            setTimeout((int) limits.messageStall().toMillis());
        }
    }

    /** A whole request has been read: the handler's reply is written under the idle timeout. */
    void requestRead() throws TTransportException {
        if (limits != null) {
            setTimeout((int) limits.idle().toMillis());
        }
    }

    /**
     * Refuses to read a field that would take the request past {@link ServerLimits#MAX_MESSAGE_TOTAL} — before
     * anything is allocated for it.
     */
    @Override
    public void checkReadBytesAvailable(long numBytes) throws TTransportException {
        if (limits != null && consumed + numBytes > ServerLimits.MAX_MESSAGE_TOTAL) {
            throw tooLarge(consumed + numBytes);
        }
        super.checkReadBytesAvailable(numBytes);
    }

    private void consume(long n) throws TTransportException {
        consumed += n;
        if (limits != null && consumed > ServerLimits.MAX_MESSAGE_TOTAL) {
            throw tooLarge(consumed);
        }
    }

    private static TTransportException tooLarge(long bytes) {
        return new TTransportException(TTransportException.CORRUPTED_DATA, "a request of more than "
                + (ServerLimits.MAX_MESSAGE_TOTAL >> 20) + " MiB (at least " + bytes + " bytes)");
    }

    /**
     * Connects to {@code peer} within {@code connectTimeoutMs}, then with TLS completes the handshake within
     * {@code handshakeTimeoutMs}, so a server this host does not trust is refused here: on a loaded host (a cold JVM on a busy dom0) the handshake is the slow part, and a
     * peer that accepted the connection but is slow to answer is not a peer that is absent. The read and write timeout
     * is {@code connectTimeoutMs} afterwards.
     *
     * @throws TTransportException caused by an {@link javax.net.ssl.SSLException} if the peer was reached but the
     *                             handshake failed or did not finish in time
     */
    static ChannelTransport connect(TConfiguration config, InetSocketAddress peer, int connectTimeoutMs,
                                    int handshakeTimeoutMs, ChannelSecurity security, WireBytes wire)
            throws TTransportException {
        SocketChannel ch = null;
        ChannelTransport t = null;
        TlsEngine engine = null;
        try {
            ch = ipv4Socket(peer.getAddress()) ? SocketChannel.open(StandardProtocolFamily.INET) : SocketChannel.open();
            ch.socket().connect(peer, connectTimeoutMs);
            engine = security.isTls() ? security.clientEngine(peer.getHostString(), peer.getPort()) : null;
            t = new ChannelTransport(config, ch, engine, wire);
            t.setTimeout(handshakeTimeoutMs);
            try {
                t.handshake();
            } catch (TTransportException e) {
                throw timedOut(e) ? handshakeTooSlow(handshakeTimeoutMs, e) : e;
            }
            t.setTimeout(connectTimeoutMs);
            return t;
        } catch (IOException | TTransportException e) {
            if (t != null) {
                t.close();
            } else {
                if (engine != null) {
                    engine.close();
                }
                if (ch != null) {
                    try {
                        ch.close();
                    } catch (IOException ignored) {
                        // nothing more to do
                    }
                }
            }
            throw e instanceof TTransportException tte ? tte
                    : new TTransportException(TTransportException.NOT_OPEN, e.getMessage(), e);
        }
    }

    private static boolean timedOut(TTransportException e) {
        if (e.getType() == TTransportException.TIMED_OUT) {
            return true;
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.net.SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /**
     * A handshake the peer accepted but did not finish in time: a TLS failure, said as what it is (its own message is
     * the root of the chain, so callers that report the root cause report this and not "Read timed out").
     */
    private static TTransportException handshakeTooSlow(int timeoutMs, TTransportException e) {
        javax.net.ssl.SSLHandshakeException slow = new javax.net.ssl.SSLHandshakeException("the peer accepted the "
                + "connection but the TLS handshake did not finish within " + timeoutMs + " ms (an overloaded or hung "
                + "peer; limits.handshake-s gives slow hosts longer)");
        return new TTransportException(TTransportException.TIMED_OUT, slow.getMessage(), slow);
    }

    /**
     * Completes the TLS handshake if this is a TLS connection and it has not run yet.
     *
     * @return the peer's verified identity; empty on a plain connection
     * @throws TTransportException if the handshake fails (the peer is not trusted, or does not speak TLS)
     */
    Optional<PeerIdentity> handshake() throws TTransportException {
        if (tls == null) {
            return Optional.empty();
        }
        try {
            peer = Optional.of(tls.handshake());
            socket.setDeadline(0, null);
            return peer;
        } catch (IOException e) {
            throw failure(e);
        }
    }

    /**
     * Whether a socket for {@code address} should be a plain IPv4 one. The JDK's default socket is dual-stack IPv6,
     * and on one of those an IPv4 connection's {@code IP_TOS} is taken and reported but never put on a packet
     * (only {@code IPV6_TCLASS} is set), so {@link #carriesDemand} would mark nothing.
     */
    static boolean ipv4Socket(InetAddress address) {
        return address instanceof Inet4Address;
    }

    /** Sets the socket's send buffer to {@code bytes} (Linux doubles it for its own bookkeeping). */
    void setSendBuffer(int bytes) throws TTransportException {
        try {
            socket.channel().setOption(StandardSocketOptions.SO_SNDBUF, bytes);
        } catch (IOException e) {
            throw new TTransportException(TTransportException.UNKNOWN, e);
        }
    }

    /**
     * This connection carries demand paging: from now on its packets leave marked IP TOS {@link #LOW_DELAY}, so a
     * link queue with a band for them (a prio qdisc, or Linux's default pfifo_fast, whose priomap puts "minimize
     * delay" in its first band) sends a fetch and its pages ahead of the pushed pages queued on the same link. Only
     * the marking; the queue is the network's. Once per connection; a socket that refuses it keeps going unmarked.
     */
    void carriesDemand() {
        if (markedLowDelay) {
            return;
        }
        markedLowDelay = true;
        try {
            socket.channel().setOption(StandardSocketOptions.IP_TOS, LOW_DELAY);
        } catch (IOException | UnsupportedOperationException e) {
            System.getLogger(ChannelTransport.class.getName()).log(System.Logger.Level.DEBUG,
                    "could not mark the demand connection to {0} low delay: {1}", remote(), e.getMessage());
        }
    }

    /** The peer's verified identity once the handshake is done; empty on a plain connection. */
    Optional<PeerIdentity> peer() {
        return peer;
    }

    /** The peer's address, for log lines. */
    String remote() {
        try {
            InetSocketAddress a = (InetSocketAddress) socket.channel().getRemoteAddress();
            return a == null ? "?" : a.getHostString() + ":" + a.getPort();
        } catch (IOException e) {
            return "?";
        }
    }

    /**
     * Sets how long one read or write may wait for the peer; 0 waits for ever. A channel in blocking mode ignores
     * SO_TIMEOUT, so with a timeout the channel switches to non-blocking mode and waits in a selector.
     */
    void setTimeout(int timeoutMs) throws TTransportException {
        try {
            socket.setTimeout(timeoutMs);
        } catch (IOException e) {
            throw new TTransportException(TTransportException.UNKNOWN, e.getMessage(), e);
        }
    }

    @Override
    public boolean isOpen() {
        return socket.isOpen();
    }

    @Override
    public void open() {
        // opened by connect or accept
    }

    @Override
    public void close() {
        socket.close();
        if (tls != null) {
            tls.close();
        }
        if (closed.compareAndSet(false, true)) {
            onClose.run();
        }
    }

    @Override
    public int read(byte[] buf, int off, int len) throws TTransportException {
        if (!in.hasRemaining()) {
            fill();
        }
        int n = Math.min(len, in.remaining());
        in.get(buf, off, n);
        consume(n);
        return n;
    }

    /** Reads exactly {@code dst.remaining()} bytes into {@code dst}, directly from the channel once buffered bytes are used. */
    @Override
    public int read(ByteBuffer dst) throws TTransportException {
        int want = dst.remaining();
        consume(want);
        if (in.hasRemaining()) {
            int n = Math.min(in.remaining(), dst.remaining());
            ByteBuffer slice = in.duplicate();
            slice.limit(slice.position() + n);
            dst.put(slice);
            in.position(in.position() + n);
        }
        try {
            while (dst.hasRemaining()) {
                if (stream.readSome(dst) < 0) {
                    throw new TTransportException(TTransportException.END_OF_FILE, "peer closed the connection");
                }
            }
        } catch (IOException e) {
            throw failure(e);
        }
        return want;
    }

    private void fill() throws TTransportException {
        in.clear();
        try {
            if (stream.readSome(in) < 0) {
                in.flip();
                throw new TTransportException(TTransportException.END_OF_FILE, firstRead && tls == null
                        ? "peer closed the connection before its first word (a daemon that speaks TLS closes a plain "
                        + "client so, sending nothing: if that is it, give both ends TLS credentials, --tls-dir)"
                        : "peer closed the connection");
            }
        } catch (IOException e) {
            in.flip();
            throw failure(e);
        }
        in.flip();
        if (firstRead) {
            firstRead = false;
            refuseTlsOnPlain();
        }
    }

    /**
     * A plain connection whose peer speaks TLS gets TLS records, which Thrift would misread as an absurd message
     * size. A TLS record starts with its content type (20-23) and major version 3; a Thrift message from this
     * project starts with 0x80 (strict binary protocol), so the two are told apart by the first two bytes.
     */
    private void refuseTlsOnPlain() throws TTransportException {
        if (tls == null && in.remaining() >= 2 && in.get(0) >= 20 && in.get(0) <= 23 && in.get(1) == 3) {
            throw new TTransportException(TTransportException.END_OF_FILE,
                    "the peer speaks TLS and this end plain TCP: give both ends TLS credentials (--tls-dir)");
        }
    }

    @Override
    public void write(byte[] buf, int off, int len) throws TTransportException {
        while (len > 0) {
            if (!out.hasRemaining()) {
                drainOut();
            }
            int n = Math.min(len, out.remaining());
            out.put(buf, off, n);
            off += n;
            len -= n;
        }
    }

    /** Writes a buffer; a direct one goes to the channel without passing through the write buffer. */
    @Override
    public int write(ByteBuffer src) throws TTransportException {
        int n = src.remaining();
        if (!src.isDirect() || n < BUFFER / 4) {
            while (src.hasRemaining()) {
                if (!out.hasRemaining()) {
                    drainOut();
                }
                ByteBuffer part = src.duplicate();
                part.limit(part.position() + Math.min(out.remaining(), part.remaining()));
                out.put(part);
                src.position(part.position());
            }
            return n;
        }
        drainOut();
        writeFully(src);
        return n;
    }

    private void drainOut() throws TTransportException {
        out.flip();
        writeFully(out);
        out.clear();
    }

    private void writeFully(ByteBuffer b) throws TTransportException {
        try {
            stream.writeFully(b);
        } catch (IOException e) {
            throw failure(e);
        }
    }

    /** A closed channel is the end of the conversation, not an error worth a stack trace. */
    static TTransportException failure(IOException e) {
        if (e instanceof java.nio.channels.ClosedChannelException) {
            return new TTransportException(TTransportException.END_OF_FILE, "connection closed", e);
        }
        if (e instanceof SocketTimeoutException) {
            return new TTransportException(TTransportException.TIMED_OUT, e.getMessage(), e);
        }
        return new TTransportException(TTransportException.UNKNOWN, e.getMessage(), e);
    }

    @Override
    public void flush() throws TTransportException {
        drainOut();
        resetConsumedMessageSize(-1);
    }
}
