package org.xenpostcopy.xen.xswire;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One {@code xsd_sockmsg}: a 16-byte header of four little-endian u32 ({@code type}, {@code req_id}, {@code tx_id},
 * {@code len}) and at most 4096 bytes of payload.
 */
public record XsMessage(int type, int reqId, int txId, byte[] payload) {
    public static final int HEADER = 16;
    /** XENSTORE_PAYLOAD_MAX */
    public static final int MAX_PAYLOAD = 4096;

    public XsMessage {
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("xenstore payload of " + payload.length + " bytes exceeds " + MAX_PAYLOAD);
        }
    }

    public static XsMessage of(XsType type, int reqId, int txId, String... nulTerminatedParts) {
        return new XsMessage(type.code(), reqId, txId, join(true, nulTerminatedParts));
    }

    /** Parts each followed by NUL ({@code terminateLast}) or with the last one bare (WRITE's value, READ's reply). */
    public static byte[] join(boolean terminateLast, String... parts) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            sb.append(parts[i]);
            if (terminateLast || i < parts.length - 1) {
                sb.append('\0');
            }
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The payload split at NULs (a trailing NUL does not make an empty last part). */
    public List<String> parts() {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < payload.length; i++) {
            if (payload[i] == 0) {
                out.add(new String(payload, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < payload.length) {
            out.add(new String(payload, start, payload.length - start, StandardCharsets.UTF_8));
        }
        return out;
    }

    public String text() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    public XsType kind() {
        return XsType.of(type);
    }

    public void writeTo(WritableByteChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(type).putInt(reqId).putInt(txId).putInt(payload.length).put(payload).flip();
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Reads one message; EOFException at a clean end of stream, IOException for a bad header. */
    public static XsMessage readFrom(ReadableByteChannel ch) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, h, true);
        h.flip();
        int type = h.getInt();
        int reqId = h.getInt();
        int txId = h.getInt();
        int len = h.getInt();
        if (len < 0 || len > MAX_PAYLOAD) {
            throw new IOException("xenstore message with payload length " + Integer.toUnsignedString(len)
                    + " (at most " + MAX_PAYLOAD + ")");
        }
        ByteBuffer p = ByteBuffer.allocate(len);
        readFully(ch, p, false);
        return new XsMessage(type, reqId, txId, p.array());
    }

    private static void readFully(ReadableByteChannel ch, ByteBuffer b, boolean mayEndHere) throws IOException {
        boolean any = false;
        while (b.hasRemaining()) {
            int n = ch.read(b);
            if (n < 0) {
                if (mayEndHere && !any) {
                    throw new EOFException();
                }
                throw new IOException("connection closed in the middle of a xenstore message");
            }
            any |= n > 0;
        }
    }
}
