package org.xenpostcopy.fuzz;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import org.apache.thrift.TBase;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TField;
import org.apache.thrift.protocol.TList;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.transport.TMemoryBuffer;
import org.xenpostcopy.fuzz.MarkedFrame.Kind;
import org.xenpostcopy.fuzz.MarkedFrame.Mark;

/**
 * The binary protocol as a client writes it (strict, unframed), noting the offset of every field, size and header
 * part as it goes: the generated {@code *_args} classes write a well-formed call, and this records its anatomy.
 */
final class MarkingProtocol extends TBinaryProtocol {
    private final TMemoryBuffer buffer;
    private final List<Mark> marks = new ArrayList<>();
    private final Deque<Integer> openFields = new ArrayDeque<>();

    private MarkingProtocol(TMemoryBuffer buffer) {
        super(buffer);
        this.buffer = buffer;
    }

    /** Serializes {@code args} as the message {@code name} ("service:method") of {@code type}. */
    static MarkedFrame frame(String name, byte type, int seqId, TBase<?, ?> args) {
        try {
            MarkingProtocol p = new MarkingProtocol(new TMemoryBuffer(256));
            p.writeMessageBegin(new TMessage(name, type, seqId));
            args.write(p);
            p.writeMessageEnd();
            return new MarkedFrame(Arrays.copyOf(p.buffer.getArray(), p.buffer.length()), List.copyOf(p.marks));
        } catch (TException e) {
            throw new IllegalStateException("a well-formed call did not serialize: " + e, e);
        }
    }

    private int at() {
        return buffer.length();
    }

    @Override
    public void writeMessageBegin(TMessage message) throws TException {
        int start = at();
        super.writeMessageBegin(message);
        int end = at();
        marks.add(new Mark(Kind.MESSAGE_TYPE, start, start + 4));
        marks.add(new Mark(Kind.MESSAGE_NAME, start + 4, end - 4));
        marks.add(new Mark(Kind.SEQ_ID, end - 4, end));
    }

    @Override
    public void writeFieldBegin(TField field) throws TException {
        openFields.push(at());
        super.writeFieldBegin(field);
    }

    @Override
    public void writeFieldEnd() throws TException {
        marks.add(new Mark(Kind.FIELD, openFields.pop(), at()));
        super.writeFieldEnd();
    }

    @Override
    public void writeString(String str) throws TException {
        int start = at();
        super.writeString(str);
        marks.add(new Mark(Kind.LENGTH, start, at()));
    }

    @Override
    public void writeBinary(ByteBuffer bin) throws TException {
        int start = at();
        super.writeBinary(bin);
        marks.add(new Mark(Kind.LENGTH, start, at()));
    }

    @Override
    public void writeListBegin(TList list) throws TException {
        int start = at();
        super.writeListBegin(list);
        marks.add(new Mark(Kind.LIST_SIZE, start + 1, at()));
    }
}
