package org.xenpostcopy.migration.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.transport.TMemoryBuffer;
import org.apache.thrift.transport.TTransportException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An accepted connection under {@link ServerLimits}, byte by byte over a real loopback socket: what a request may
 * weigh in all, how long it may pause, how long a connection may idle, and that an announced size costs nothing
 * until its bytes come.
 */
@Timeout(60)
class ServerLimitsTransportTest {
    private static final ServerLimits LIMITS = ServerLimits.defaults()
            .withTimeouts(Duration.ofSeconds(10), Duration.ofMillis(300), Duration.ofMillis(200));
    private ServerSocketChannel listener;
    private Socket client;
    private ChannelTransport server;
    private final AtomicInteger closes = new AtomicInteger();

    @BeforeEach
    void connect() throws Exception {
        listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        client = new Socket("127.0.0.1", ((InetSocketAddress) listener.getLocalAddress()).getPort());
        SocketChannel accepted = listener.accept();
        server = new ChannelTransport(ThriftConnection.config(), accepted, null, LIMITS, closes::incrementAndGet);
    }

    @AfterEach
    void close() throws Exception {
        server.close();
        client.close();
        listener.close();
    }

    private TProtocol serverProtocol() {
        return PooledBinaryProtocol.Factory.forRequests(ThriftConnection.MAX_MESSAGE).getProtocol(server);
    }

    /** A request header and then {@code binaries}, each as a length and (if {@code whole}) its bytes. */
    private static byte[] request(boolean whole, byte[]... binaries) throws Exception {
        TMemoryBuffer b = new TMemoryBuffer(1024);
        TBinaryProtocol p = new TBinaryProtocol(b);
        p.writeMessageBegin(new TMessage("pushPages", TMessageType.ONEWAY, 1));
        for (byte[] bin : binaries) {
            if (whole) {
                p.writeBinary(ByteBuffer.wrap(bin));
            } else {
                p.writeI32(bin.length);
            }
        }
        return java.util.Arrays.copyOf(b.getArray(), b.length());
    }

    @Test
    void aLargeBinaryArrivesIntactThroughTheGrowingBuffer() throws Exception {
        byte[] payload = new byte[3 << 20];
        new Random(7).nextBytes(payload);
        OutputStream out = client.getOutputStream();
        out.write(request(true, payload));
        out.flush();
        TProtocol p = serverProtocol();
        p.readMessageBegin();
        ByteBuffer got = p.readBinary();
        byte[] bytes = new byte[got.remaining()];
        got.get(bytes);
        assertArrayEquals(payload, bytes);
    }

    @Test
    void aRequestHeavierThanTheCapInAllIsRefusedBeforeItsLastFieldIsRead() throws Exception {
        byte[] field = new byte[ThriftConnection.MAX_MESSAGE];
        byte[] twoWhole = request(true, field, field);   // built before the clock of the idle limit starts
        Thread writer = new Thread(() -> {
            try {
                OutputStream out = client.getOutputStream();
                out.write(twoWhole);
                new java.io.DataOutputStream(out).writeInt(field.length);   // a third announced: over 48 MiB in all
                out.flush();
            } catch (Exception ignored) {
                // the server closes on us
            }
        });
        writer.start();
        TProtocol p = serverProtocol();
        p.readMessageBegin();
        p.readBinary();
        p.readBinary();
        TTransportException e = assertThrows(TTransportException.class, p::readBinary);
        assertEquals(TTransportException.CORRUPTED_DATA, e.getType());
        assertTrue(e.getMessage().contains("a request of more than 48 MiB"), e.getMessage());
        server.close();
        writer.join();
    }

    @Test
    void aRequestThatStallsAfterItsHeaderTimesOut() throws Exception {
        OutputStream out = client.getOutputStream();
        out.write(request(false, new byte[ThriftConnection.MAX_MESSAGE]));   // announces 16 MiB, sends none
        out.flush();
        TProtocol p = serverProtocol();
        p.readMessageBegin();
        TTransportException e = assertThrows(TTransportException.class, p::readBinary);
        assertEquals(TTransportException.TIMED_OUT, e.getType(), e.getMessage());
    }

    @Test
    void aConnectionThatSendsNothingTimesOutIdle() {
        TTransportException e = assertThrows(TTransportException.class, () -> serverProtocol().readMessageBegin());
        assertEquals(TTransportException.TIMED_OUT, e.getType(), e.getMessage());
    }

    @Test
    void theCloseHookRunsOnce() {
        server.close();
        server.close();
        assertEquals(1, closes.get());
    }
}
