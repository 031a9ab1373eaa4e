package org.xenpostcopy.migration.protocol;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.xenpostcopy.migration.peer.WireBytes;

/**
 * A {@link SocketChannel} as a blocking stream with a timeout. A channel in blocking mode ignores SO_TIMEOUT, so with
 * a timeout the channel switches to non-blocking mode and waits in a selector.
 */
final class SocketStream implements ChannelStream {
    private final SocketChannel channel;
    private final WireBytes wire;
    private Selector selector;
    private SelectionKey key;
    private int timeoutMs;
    /** System.nanoTime() by which the current wait must end whatever the timeout, or 0 for none. */
    private long deadline;
    private String deadlineWhat;

    SocketStream(SocketChannel channel, WireBytes wire) {
        this.channel = channel;
        this.wire = wire;
    }

    SocketChannel channel() {
        return channel;
    }

    /** How long one read or write may wait for the peer; 0 waits for ever. */
    void setTimeout(int timeoutMs) throws IOException {
        this.timeoutMs = timeoutMs;
        if (timeoutMs > 0 && selector == null) {
            selector = Selector.open();
            channel.configureBlocking(false);
            key = channel.register(selector, 0);
        }
    }

    /**
     * Sets a moment by which every wait must end, however often bytes trickle in (0 = none); {@code what} says in
     * the timeout's message what was due by then. Needs a timeout set, so waits go through the selector.
     */
    void setDeadline(long nanoTime, String what) {
        this.deadline = nanoTime;
        this.deadlineWhat = what;
    }

    private void counted(int read) {
        if (read > 0) {
            wire.received(read);
        }
    }

    @Override
    public int readSome(ByteBuffer dst) throws IOException {
        if (selector == null) {
            int n;
            do {
                n = channel.read(dst);
            } while (n == 0);
            counted(n);
            return n;
        }
        while (true) {
            int n = channel.read(dst);
            if (n != 0) {
                counted(n);
                return n;
            }
            await(SelectionKey.OP_READ, "read");
        }
    }

    @Override
    public void writeFully(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            int n = channel.write(src);
            wire.sent(n);
            if (n == 0 && selector != null) {
                await(SelectionKey.OP_WRITE, "write");
            }
        }
    }

    private void await(int op, String what) throws IOException {
        int ready;
        long waitMs = timeoutMs;
        boolean deadlineFirst = false;
        if (deadline != 0) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                throw new SocketTimeoutException(deadlineWhat);
            }
            deadlineFirst = waitMs == 0 || left < waitMs;
            waitMs = deadlineFirst ? left : waitMs;
        }
        try {
            key.interestOps(op);
            ready = selector.select(waitMs);
            selector.selectedKeys().clear();
            key.interestOps(0);
        } catch (ClosedSelectorException | CancelledKeyException e) {
            // Closed by another thread (a watchdog that declared the link cut): the call ends like any closed one.
            ClosedChannelException closed = new ClosedChannelException();
            closed.initCause(e);
            throw closed;
        }
        if (ready == 0) {
            if (deadlineFirst) {
                throw new SocketTimeoutException(deadlineWhat);
            }
            throw new SocketTimeoutException("the peer did not answer a " + what + " within " + timeoutMs + " ms");
        }
    }

    boolean isOpen() {
        return channel.isOpen();
    }

    void close() {
        try {
            if (selector != null) {
                selector.close();
            }
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
