package org.xenpostcopy.fuzz;

import java.util.List;

/**
 * One serialized Thrift message (strict binary protocol, unframed, as the daemon reads it) and where its parts lie,
 * so a mutation can break a chosen part instead of a random byte.
 *
 * @param bytes the whole message
 * @param marks its fields, sizes and header parts, in the order they were written
 */
record MarkedFrame(byte[] bytes, List<Mark> marks) {
    /** What a mark points at. */
    enum Kind {
        /** A field: its type byte at {@code offset}, its id after it; the field ends at {@code end}. */
        FIELD,
        /** The i32 byte count of a string or binary, at {@code offset}; its bytes end at {@code end}. */
        LENGTH,
        /** The i32 element count of a list, at {@code offset} (its element type is the byte before). */
        LIST_SIZE,
        /** The i32 version-and-type word of the message header. */
        MESSAGE_TYPE,
        /** The i32 byte count of the message name ("service:method"); the name ends at {@code end}. */
        MESSAGE_NAME,
        /** The i32 sequence id. */
        SEQ_ID
    }

    /** One part of the frame: {@code [offset, end)}. */
    record Mark(Kind kind, int offset, int end) {
    }

    /** The marks of one kind. */
    List<Mark> all(Kind kind) {
        return marks.stream().filter(m -> m.kind() == kind).toList();
    }

    /** The first mark of one kind (every message has one of each header kind). */
    Mark first(Kind kind) {
        return marks.stream().filter(m -> m.kind() == kind).findFirst().orElseThrow();
    }
}
