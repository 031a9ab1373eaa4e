package org.xenpostcopy.migration.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verifyNoInteractions;

import java.util.Arrays;
import org.apache.thrift.TConfiguration;
import org.apache.thrift.TMultiplexedProcessor;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.protocol.TType;
import org.apache.thrift.transport.TMemoryBuffer;
import org.apache.thrift.transport.TMemoryInputTransport;
import org.apache.thrift.transport.TTransportException;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.protocol.thrift.MigrationReceiver;

/** A message the server cannot read ends its connection quietly (one log line, no stack trace) and reaches no handler. */
class GuardedProcessorTest {
    private final MigrationReceiver.Iface handler = mock(MigrationReceiver.Iface.class);

    private TTransportException process(byte[] request) throws Exception {
        TMultiplexedProcessor mux = new TMultiplexedProcessor();
        mux.registerProcessor(ThriftConnection.RECEIVER, new MigrationReceiver.Processor<>(handler));
        TBinaryProtocol in = new TBinaryProtocol(new TMemoryInputTransport(TConfiguration.DEFAULT, request));
        TBinaryProtocol out = new TBinaryProtocol(new TMemoryBuffer(64));
        return assertThrows(TTransportException.class, () -> new GuardedProcessor(mux).process(in, out));
    }

    /**
     * Found by the protocol fuzzer: a map field whose key type is no type, in a call's arguments, made libthrift
     * throw a transport error of no cause ("unrecognized type code") while skipping it, which the server logged as
     * an error with its stack trace.
     */
    @Test
    void aContainerOfAnUnknownTypeIsAMalformedMessage() throws Exception {
        TMemoryBuffer b = new TMemoryBuffer(64);
        TBinaryProtocol p = new TBinaryProtocol(b);
        p.writeMessageBegin(new TMessage("receiver:released", TMessageType.CALL, 1));
        p.writeByte(TType.MAP);
        p.writeI16((short) 7);
        p.writeByte((byte) 99);     // key type: none
        p.writeByte(TType.STRING);  // value type
        p.writeI32(3);
        TTransportException e = process(Arrays.copyOf(b.getArray(), b.length()));
        assertEquals(TTransportException.END_OF_FILE, e.getType());
        verifyNoInteractions(handler);
    }

    @Test
    void aServiceNobodyServesEndsTheConnectionQuietly() throws Exception {
        TMemoryBuffer b = new TMemoryBuffer(64);
        TBinaryProtocol p = new TBinaryProtocol(b);
        p.writeMessageBegin(new TMessage("nosuch:released", TMessageType.CALL, 1));
        p.writeFieldStop();
        assertEquals(TTransportException.END_OF_FILE, process(Arrays.copyOf(b.getArray(), b.length())).getType());
        verifyNoInteractions(handler);
    }
}
