package org.xenpostcopy.migration.protocol;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import org.apache.thrift.TConfiguration;
import org.apache.thrift.transport.TEndpointTransport;
import org.apache.thrift.transport.TTransportException;

/**
 * A Thrift transport over a blocking {@link SocketChannel} with direct buffers. Small reads and writes go through
 * 64 KiB buffers; page payloads in direct buffers ({@link #write(ByteBuffer)}, {@link #read(ByteBuffer)}) go
 * straight between the channel and that memory. A plain socket stream would copy every payload once more through
 * a temporary direct buffer of the JDK's.
 */
public final class ChannelTransport extends TEndpointTransport {
    private static final int BUFFER = 64 << 10;

    private final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocateDirect(BUFFER);
    private final ByteBuffer out = ByteBuffer.allocateDirect(BUFFER);
    private Selector selector;
    private SelectionKey key;
    private int timeoutMs;

    /** Wraps an accepted or connected channel. */
    ChannelTransport(TConfiguration config, SocketChannel channel) throws TTransportException {
        super(config);
        this.channel = channel;
        in.flip();   // empty
        try {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, ThriftConnection.SOCKET_BUFFER);
            channel.setOption(StandardSocketOptions.SO_RCVBUF, ThriftConnection.SOCKET_BUFFER);
            channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
        } catch (IOException e) {
            throw new TTransportException(TTransportException.UNKNOWN, e);
        }
    }

    /** Connects to {@code peer}, giving up after {@code timeoutMs}. */
    static ChannelTransport connect(TConfiguration config, InetSocketAddress peer, int timeoutMs) throws TTransportException {
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open();
            ch.socket().connect(peer, timeoutMs);
            return new ChannelTransport(config, ch);
        } catch (IOException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // nothing more to do
                }
            }
            throw new TTransportException(TTransportException.NOT_OPEN, e.getMessage(), e);
        }
    }

    /**
     * Sets how long one read or write may wait for the peer; 0 waits for ever. A channel in blocking mode ignores
     * SO_TIMEOUT, so with a timeout the channel switches to non-blocking mode and waits in a selector.
     */
    void setTimeout(int timeoutMs) throws TTransportException {
        try {
            this.timeoutMs = timeoutMs;
            if (timeoutMs > 0 && selector == null) {
                selector = Selector.open();
                channel.configureBlocking(false);
                key = channel.register(selector, 0);
            }
        } catch (IOException e) {
            throw new TTransportException(TTransportException.UNKNOWN, e.getMessage(), e);
        }
    }

    /** One read; with a timeout, waits in the selector until data or the deadline. */
    private int readSome(ByteBuffer dst) throws IOException, TTransportException {
        if (selector == null) {
            return channel.read(dst);
        }
        while (true) {
            int n = channel.read(dst);
            if (n != 0) {
                return n;
            }
            await(SelectionKey.OP_READ, "read");
        }
    }

    private void writeSome(ByteBuffer src) throws IOException, TTransportException {
        int n = channel.write(src);
        if (n == 0 && selector != null) {
            await(SelectionKey.OP_WRITE, "write");
        }
    }

    private void await(int op, String what) throws IOException, TTransportException {
        int ready;
        try {
            key.interestOps(op);
            ready = selector.select(timeoutMs);
            selector.selectedKeys().clear();
            key.interestOps(0);
        } catch (ClosedSelectorException | CancelledKeyException e) {
            // Closed by another thread (a watchdog that declared the link cut): the call ends like any closed one.
            throw new TTransportException(TTransportException.NOT_OPEN, "connection closed while waiting to " + what, e);
        }
        if (ready == 0) {
            throw new TTransportException(TTransportException.TIMED_OUT,
                    "the peer did not answer a " + what + " within " + timeoutMs + " ms");
        }
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void open() {
        // opened by connect or accept
    }

    @Override
    public void close() {
        try {
            if (selector != null) {
                selector.close();
            }
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public int read(byte[] buf, int off, int len) throws TTransportException {
        if (!in.hasRemaining()) {
            fill();
        }
        int n = Math.min(len, in.remaining());
        in.get(buf, off, n);
        return n;
    }

    /** Reads exactly {@code dst.remaining()} bytes into {@code dst}, directly from the channel once buffered bytes are used. */
    @Override
    public int read(ByteBuffer dst) throws TTransportException {
        int want = dst.remaining();
        if (in.hasRemaining()) {
            int n = Math.min(in.remaining(), dst.remaining());
            ByteBuffer slice = in.duplicate();
            slice.limit(slice.position() + n);
            dst.put(slice);
            in.position(in.position() + n);
        }
        try {
            while (dst.hasRemaining()) {
                if (readSome(dst) < 0) {
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
            int n;
            do {
                n = readSome(in);
            } while (n == 0);
            if (n < 0) {
                in.flip();
                throw new TTransportException(TTransportException.END_OF_FILE, "peer closed the connection");
            }
        } catch (IOException e) {
            in.flip();
            throw failure(e);
        }
        in.flip();
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
            while (b.hasRemaining()) {
                writeSome(b);
            }
        } catch (IOException e) {
            throw failure(e);
        }
    }

    /** A closed channel is the end of the conversation, not an error worth a stack trace. */
    private static TTransportException failure(IOException e) {
        if (e instanceof java.nio.channels.ClosedChannelException) {
            return new TTransportException(TTransportException.END_OF_FILE, "connection closed", e);
        }
        return new TTransportException(TTransportException.UNKNOWN, e.getMessage(), e);
    }

    @Override
    public void flush() throws TTransportException {
        drainOut();
        resetConsumedMessageSize(-1);
    }
}
