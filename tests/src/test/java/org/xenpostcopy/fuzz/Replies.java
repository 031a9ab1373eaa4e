package org.xenpostcopy.fuzz;

import java.util.ArrayList;
import java.util.List;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.TConfiguration;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.protocol.TProtocolUtil;
import org.apache.thrift.protocol.TType;
import org.apache.thrift.transport.TMemoryInputTransport;

/**
 * What a daemon wrote back on one fuzzed connection, read as Thrift messages. What matters: no reply says a
 * handler failed inside ({@link TApplicationException#INTERNAL_ERROR}: a request reached code that did not expect
 * it), and every reply is a whole, readable message.
 *
 * @param messages       replies read
 * @param internalErrors the messages of replies that were internal errors
 * @param unreadable     why the bytes after the last whole reply could not be read, or null if there were none
 */
record Replies(int messages, List<String> internalErrors, String unreadable) {
    static Replies parse(byte[] bytes) {
        TMemoryInputTransport in;
        try {
            in = new TMemoryInputTransport(TConfiguration.DEFAULT, bytes);
        } catch (TException e) {
            throw new IllegalStateException(e);
        }
        TBinaryProtocol p = new TBinaryProtocol(in);
        int messages = 0;
        List<String> internal = new ArrayList<>();
        try {
            while (in.getBytesRemainingInBuffer() > 0) {
                TMessage m = p.readMessageBegin();
                if (m.type == TMessageType.EXCEPTION) {
                    TApplicationException e = TApplicationException.readFrom(p);
                    if (e.getType() == TApplicationException.INTERNAL_ERROR) {
                        internal.add(m.name + ": " + e.getMessage());
                    }
                } else {
                    TProtocolUtil.skip(p, TType.STRUCT);
                }
                p.readMessageEnd();
                messages++;
            }
        } catch (TException e) {
            return new Replies(messages, internal, e.toString());
        }
        return new Replies(messages, internal, null);
    }
}
