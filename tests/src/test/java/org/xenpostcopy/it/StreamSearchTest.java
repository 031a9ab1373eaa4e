package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The relays' pattern search: found where it starts in the stream, within a read or across two. */
class StreamSearchTest {
    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void aPatternWithinOneReadIsFoundAtItsStreamOffset() {
        StreamSearch s = new StreamSearch(bytes("needle"));
        assertEquals(-1, s.next(bytes("hay hay "), 8, 0));
        assertEquals(12, s.next(bytes("hay needle hay"), 14, 8));
    }

    @Test
    void aPatternSplitAcrossReadsIsFoundWhereItStarts() {
        StreamSearch s = new StreamSearch(bytes("needle"));
        assertEquals(-1, s.next(bytes("hay ne"), 6, 0));
        assertEquals(-1, s.next(bytes("ed"), 2, 6));
        assertEquals(4, s.next(bytes("le hay"), 6, 8));
    }

    @Test
    void onlyTheBytesReadCount() {
        StreamSearch s = new StreamSearch(bytes("needle"));
        // "needle" lies in the buffer past n: not read, so not found
        assertEquals(-1, s.next(bytes("hay needle"), 4, 0));
    }
}
