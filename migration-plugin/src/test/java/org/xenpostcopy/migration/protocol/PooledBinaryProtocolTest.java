package org.xenpostcopy.migration.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import org.apache.thrift.protocol.TProtocolException;
import org.apache.thrift.transport.TIOStreamTransport;
import org.junit.jupiter.api.Test;

/** What the protocol refuses of a peer's bytes before it allocates or decodes anything. */
class PooledBinaryProtocolTest {
    /** A transport with no buffer of its own, as {@link ChannelTransport} is. */
    private static PooledBinaryProtocol reading(byte[] bytes) throws Exception {
        return new PooledBinaryProtocol(new TIOStreamTransport(new ByteArrayInputStream(bytes)), 1 << 20);
    }

    /**
     * Found by the protocol fuzzer: libthrift 0.17 tried a negative length against the transport's buffer (-1, there
     * being none) before checking it, and threw a NullPointerException out of the server's connection thread.
     */
    @Test
    void aNegativeStringLengthIsAProtocolError() throws Exception {
        for (int length : new int[] {-1, -2, Integer.MIN_VALUE}) {
            byte[] bytes = ByteBuffer.allocate(8).putInt(length).array();
            TProtocolException e = assertThrows(TProtocolException.class, () -> reading(bytes).readString());
            assertEquals(TProtocolException.NEGATIVE_SIZE, e.getType());
        }
    }

    @Test
    void aMessageNameOfNegativeLengthIsAProtocolError() throws Exception {
        byte[] bytes = ByteBuffer.allocate(12).putInt(0x80010001).putInt(-1).array();
        TProtocolException e = assertThrows(TProtocolException.class, () -> reading(bytes).readMessageBegin());
        assertEquals(TProtocolException.NEGATIVE_SIZE, e.getType());
    }

    @Test
    void aStringStillReads() throws Exception {
        byte[] bytes = ByteBuffer.allocate(7).putInt(3).put("abc".getBytes()).array();
        assertEquals("abc", reading(bytes).readString());
    }
}
