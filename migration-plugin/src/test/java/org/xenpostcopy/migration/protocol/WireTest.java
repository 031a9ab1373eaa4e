package org.xenpostcopy.migration.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.protocol.thrift.TErrorCode;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;
import org.xenpostcopy.xen.GfnBitmap;

class WireTest {
    @Test
    void gfnsRoundTrip() throws Exception {
        long[] g = {0, 7, 0x3FFFF};
        assertArrayEquals(g, Wire.unpackGfns(Wire.packGfns(g, 3), 10, 0x40000));
    }

    @Test
    void malformedGfnListsAreRefusedWithTheReason() {
        TMigrationError ragged = assertThrows(TMigrationError.class, () -> Wire.unpackGfns(ByteBuffer.allocate(12), 10, 100));
        assertEquals(TErrorCode.BAD_REQUEST, ragged.getCode());
        assertTrue(ragged.getMessage().contains("not a whole number"));
        TMigrationError big = assertThrows(TMigrationError.class, () -> Wire.unpackGfns(ByteBuffer.allocate(8 * 11), 10, 100));
        assertTrue(big.getMessage().contains("exceeds the limit of 10"));
        TMigrationError range = assertThrows(TMigrationError.class,
                () -> Wire.unpackGfns(Wire.packGfns(new long[] {100}, 1), 10, 100));
        assertTrue(range.getMessage().contains("outside the domain's 0..0x63"), range.getMessage());
        TMigrationError negative = assertThrows(TMigrationError.class,
                () -> Wire.unpackGfns(Wire.packGfns(new long[] {-1}, 1), 10, 100));
        assertTrue(negative.getMessage().contains("outside"));
        assertThrows(TMigrationError.class, () -> Wire.unpackGfns(null, 10, 100));
    }

    @Test
    void pagePayloadMustMatchTheGfnCount() throws Exception {
        Wire.checkPages(ByteBuffer.allocate(8192), 2);
        TMigrationError e = assertThrows(TMigrationError.class, () -> Wire.checkPages(ByteBuffer.allocate(8191), 2));
        assertTrue(e.getMessage().contains("does not hold 2 pages"));
    }

    @Test
    void bitmapsRoundTripAndWrongSizesAreRefused() throws Exception {
        GfnBitmap b = new GfnBitmap(130);
        b.set(1);
        b.set(129);
        assertEquals(b, Wire.unpackBitmap(Wire.packBitmap(b), 130));
        assertThrows(TMigrationError.class, () -> Wire.unpackBitmap(Wire.packBitmap(b), 200));
        ByteBuffer stray = ByteBuffer.allocate(24).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        stray.putLong(16, -1L);   // bits beyond gfn 129 in a 130-gfn bitmap
        TMigrationError e = assertThrows(TMigrationError.class, () -> Wire.unpackBitmap(stray, 130));
        assertTrue(e.getMessage().contains("beyond gfn 129"), e.getMessage());
    }
}
