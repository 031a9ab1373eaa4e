package org.xenpostcopy.migration.protocol;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMultiplexedProtocol;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.protocol.TProtocolFactory;
import org.apache.thrift.transport.TTransport;

/**
 * The binary protocol, with {@code binary} fields read into buffers this protocol owns and reuses from one
 * message to the next, instead of a fresh array per field; on a {@link ChannelTransport} those buffers are direct
 * and filled straight from the socket, and direct payloads are written straight to it. At a page rate of hundreds of thousands per second,
 * allocating and zeroing a megabyte per batch was the page path's bottleneck.
 *
 * <p>The contract this imposes: a {@code binary} value read by this protocol is valid only until the next
 * message is read on the same connection. Handlers (one message at a time per connection) copy what they keep.
 */
public final class PooledBinaryProtocol extends TBinaryProtocol {
    private final List<ByteBuffer> pool = new ArrayList<>();
    private int next;
    private final boolean direct;
    private final ChannelTransport channel;   // null on other transports
    private final long maxBinary;
    /** A demand fetch as the multiplexer names it on the wire: the connection that carries one is marked urgent. */
    static final String DEMAND_CALL = ThriftConnection.PAGES + TMultiplexedProtocol.SEPARATOR + "fetch";

    /** A client's protocol: strings, lists and binaries each up to {@code maxMessage}. */
    public PooledBinaryProtocol(TTransport transport, long maxMessage) {
        this(transport, maxMessage, maxMessage, maxMessage);
    }

    /**
     * @param maxBinary the largest {@code binary} field
     * @param maxString the longest string
     * @param maxList   the most elements of a list, set or map
     */
    PooledBinaryProtocol(TTransport transport, long maxBinary, long maxString, long maxList) {
        super(transport, maxString, maxList, false, true);
        this.channel = transport instanceof ChannelTransport c ? c : null;
        this.direct = channel != null;
        this.maxBinary = maxBinary;
    }

    @Override
    public TMessage readMessageBegin() throws TException {
        next = 0;   // buffers handed out for the previous message may be reused from here on
        if (channel != null) {
            channel.requestBegins();
        }
        TMessage m = super.readMessageBegin();
        if (channel != null) {
            channel.requestHeaderRead();
            if (DEMAND_CALL.equals(m.name)) {
                channel.carriesDemand();   // the source's end: the replies are the pages a vCPU waits for
            }
        }
        return m;
    }

    @Override
    public void writeMessageBegin(TMessage m) throws TException {
        if (channel != null && DEMAND_CALL.equals(m.name)) {
            channel.carriesDemand();   // the destination's end: its fetch requests
        }
        super.writeMessageBegin(m);
    }

    @Override
    public void readMessageEnd() throws TException {
        super.readMessageEnd();
        if (channel != null) {
            channel.requestRead();
        }
    }

    /**
     * Checks a string's length before anything else. libthrift 0.17's {@code readString} first compares the length
     * with the bytes its transport has buffered, and a transport without a buffer (this one) answers -1: a length of
     * -1 or less went on to {@code new String(null, ...)}, so four bytes from any peer threw a NullPointerException
     * out of the connection's thread and a stack trace into the log. {@code readStringBody} checks the length first.
     */
    @Override
    public String readString() throws TException {
        return readStringBody(readI32());
    }

    @Override
    public ByteBuffer readBinary() throws TException {
        int size = readI32();
        if (size < 0) {
            throw new org.apache.thrift.protocol.TProtocolException(
                    org.apache.thrift.protocol.TProtocolException.NEGATIVE_SIZE, "negative binary length " + size);
        }
        if (size > maxBinary) {
            throw new org.apache.thrift.protocol.TProtocolException(
                    org.apache.thrift.protocol.TProtocolException.SIZE_LIMIT, "a binary field of " + size
                    + " bytes (the limit is " + maxBinary + ")");
        }
        getTransport().checkReadBytesAvailable(size);
        ByteBuffer buf = next < pool.size() ? pool.get(next) : null;
        if (buf == null || buf.capacity() < Math.min(size, ServerLimits.ALLOCATE_AHEAD)) {
            buf = allocate(Math.max(Math.min(size, ServerLimits.ALLOCATE_AHEAD), 64));
        }
        buf.clear();
        // What the peer announced is allocated only as its bytes arrive (at most twice what came): a length field
        // alone, from a peer that then stalls, costs at most ALLOCATE_AHEAD.
        while (buf.position() < size) {
            if (!buf.hasRemaining()) {
                ByteBuffer bigger = allocate((int) Math.min(size, 2L * buf.capacity()));
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
            int part = Math.min(size - buf.position(), buf.remaining());
            if (direct) {
                ByteBuffer into = buf.duplicate();
                into.limit(into.position() + part);
                getTransport().read(into);    // straight from the channel into the direct buffer
            } else {
                getTransport().readAll(buf.array(), buf.position(), part);
            }
            buf.position(buf.position() + part);
        }
        if (next < pool.size()) {
            pool.set(next, buf);
        } else {
            pool.add(buf);
        }
        next++;
        buf.flip();
        return buf.slice();
    }

    private ByteBuffer allocate(int capacity) {
        return direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
    }

    /** A direct payload goes to the channel as it is; anything else through the usual path. */
    @Override
    public void writeBinary(ByteBuffer bin) throws TException {
        if (direct && bin.isDirect()) {
            writeI32(bin.remaining());
            getTransport().write(bin.duplicate());
            return;
        }
        super.writeBinary(bin);
    }

    /** Makes one per connection. */
    public static final class Factory implements TProtocolFactory {
        private final long maxBinary;
        private final long maxString;
        private final long maxList;

        /** For clients: every field up to {@code maxMessage}. */
        public Factory(long maxMessage) {
            this(maxMessage, maxMessage, maxMessage);
        }

        Factory(long maxBinary, long maxString, long maxList) {
            this.maxBinary = maxBinary;
            this.maxString = maxString;
            this.maxList = maxList;
        }

        /** For a server: requests carry short strings and short lists (see {@link ServerLimits}). */
        static Factory forRequests(long maxBinary) {
            return new Factory(maxBinary, ServerLimits.MAX_REQUEST_STRING, ServerLimits.MAX_REQUEST_LIST);
        }

        @Override
        public TProtocol getProtocol(TTransport transport) {
            return new PooledBinaryProtocol(transport, maxBinary, maxString, maxList);
        }
    }
}
