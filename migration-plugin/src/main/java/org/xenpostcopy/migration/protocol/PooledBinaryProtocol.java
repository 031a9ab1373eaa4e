package org.xenpostcopy.migration.protocol;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TMessage;
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

    public PooledBinaryProtocol(TTransport transport, long maxMessage) {
        super(transport, maxMessage, maxMessage, false, true);
        this.direct = transport instanceof ChannelTransport;
    }

    @Override
    public TMessage readMessageBegin() throws TException {
        next = 0;   // buffers handed out for the previous message may be reused from here on
        return super.readMessageBegin();
    }

    @Override
    public ByteBuffer readBinary() throws TException {
        int size = readI32();
        if (size < 0) {
            throw new org.apache.thrift.protocol.TProtocolException(
                    org.apache.thrift.protocol.TProtocolException.NEGATIVE_SIZE, "negative binary length " + size);
        }
        getTransport().checkReadBytesAvailable(size);
        ByteBuffer buf;
        if (next < pool.size() && pool.get(next).capacity() >= size) {
            buf = pool.get(next);
        } else {
            int cap = Math.max(size, 64);
            buf = direct ? ByteBuffer.allocateDirect(cap) : ByteBuffer.allocate(cap);
            if (next < pool.size()) {
                pool.set(next, buf);
            } else {
                pool.add(buf);
            }
        }
        next++;
        buf.clear().limit(size);
        if (direct) {
            getTransport().read(buf);    // straight from the channel into the direct buffer
            buf.flip();
        } else {
            getTransport().readAll(buf.array(), 0, size);
        }
        return buf.slice();
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
        private final long maxMessage;

        public Factory(long maxMessage) {
            this.maxMessage = maxMessage;
        }

        @Override
        public TProtocol getProtocol(TTransport transport) {
            return new PooledBinaryProtocol(transport, maxMessage);
        }
    }
}
