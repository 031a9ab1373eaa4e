package org.xenpostcopy.fuzz;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import org.xenpostcopy.migration.protocol.ThriftConnection;

/**
 * Connections of peers a mutual-TLS daemon must refuse, each drawn from the seed and its index: garbage or Thrift in
 * clear where a handshake belongs; a real ClientHello broken ({@link #brokenHello}); an allowed identity whose own
 * Finished is tampered with; no certificate; a certificate of another CA; one of the right CA whose name is not on
 * the allow-list; an allowed certificate over TLS 1.2. Whatever gets as far as sending frames sends a well-formed
 * prepare first, then one planned connection's frames: none of it may be answered, nor make anything.
 */
final class RefusedPeers {
    /** How a refused peer tries. */
    enum Kind {
        GARBAGE(2), PLAINTEXT_CALLS(2), CLIENT_HELLO(8), TAMPERED_FINISHED(3), NO_CERTIFICATE(2), OTHER_CA(2),
        NOT_ALLOWED(2), TLS_1_2(1);

        final int weight;

        Kind(int weight) {
            this.weight = weight;
        }
    }

    /** One refused peer's connection: how it tries, what it sends, and how it reaches the daemon. */
    record Attempt(Kind kind, String how, FuzzPlan.Connection connection, FuzzLink link) {
    }

    private static final String PREPARE = ThriftConnection.RECEIVER + ":prepare";
    /** The {@code tls:} pseudo-call a raw handshake frame is labelled with. */
    private static final String HANDSHAKE = "tls:handshake";

    private final long seed;
    private final FuzzPlan plan;
    private final int planOffset;
    private final ValidCalls calls;
    private final FuzzerIdentity allowed;
    private final FuzzerIdentity otherCa;
    private final FuzzerIdentity offTheList;

    /**
     * @param plan       whose connections from {@code planOffset} on give the frames sent after a handshake
     * @param allowed    an identity the daemons let in (its ClientHello is the one broken; its Finished is tampered)
     * @param otherCa    a certificate the daemons' CA did not sign
     * @param offTheList a certificate of the daemons' CA whose name neither allow-list has
     */
    RefusedPeers(long seed, FuzzPlan plan, int planOffset, ValidCalls calls, FuzzerIdentity allowed,
                 FuzzerIdentity otherCa, FuzzerIdentity offTheList) {
        this.seed = seed;
        this.plan = plan;
        this.planOffset = planOffset;
        this.calls = calls;
        this.allowed = allowed;
        this.otherCa = otherCa;
        this.offTheList = offTheList;
    }

    Attempt attempt(int index) {
        Random r = new Random(seed ^ 0x5DEECE66DL ^ (0x9E3779B97F4A7C15L * (index + 1)));
        Kind kind = draw(r);
        FuzzPlan.Connection planned = plan.connection(planOffset + index);
        List<FuzzPlan.Frame> frames = new ArrayList<>();
        frames.add(new FuzzPlan.Frame(PREPARE, Mutation.NONE, calls.call(PREPARE, r).bytes()));
        frames.addAll(planned.frames());
        FuzzPlan.Connection afterHandshake = new FuzzPlan.Connection(index, planned.toSource(), frames);
        return switch (kind) {
            case GARBAGE -> {
                byte[] junk = new byte[1 + r.nextInt(4096)];
                r.nextBytes(junk);
                if (r.nextBoolean() && junk.length >= 3) {
                    junk[0] = 22;   // looks like a handshake record, and is not one
                    junk[1] = 3;
                    junk[2] = 1;
                }
                yield raw(kind, "random bytes (" + junk.length + ")", index, planned.toSource(), junk);
            }
            case PLAINTEXT_CALLS -> new Attempt(kind, "Thrift in clear", afterHandshake, PlainFuzzConnection.LINK);
            case CLIENT_HELLO -> {
                String[] how = new String[1];
                byte[] hello = brokenHello(clientHello(), r, how);
                yield raw(kind, "ClientHello " + how[0], index, planned.toSource(), hello);
            }
            case TAMPERED_FINISHED -> {
                int way = r.nextInt(3);
                String how = new String[] {"bits flipped in", "cut short in", "left out of"}[way]
                        + " the client's Finished";
                yield tls(kind, how, afterHandshake, allowed, finishedTamper(way, r), r);
            }
            case NO_CERTIFICATE -> tls(kind, "no certificate", afterHandshake, FuzzerIdentity.anonymous(),
                    TlsFuzzConnection.FlightTamper.NONE, r);
            case OTHER_CA -> tls(kind, "another CA's certificate", afterHandshake, otherCa,
                    TlsFuzzConnection.FlightTamper.NONE, r);
            case NOT_ALLOWED -> tls(kind, "a certificate off the allow-list", afterHandshake, offTheList,
                    TlsFuzzConnection.FlightTamper.NONE, r);
            case TLS_1_2 -> tls(kind, "TLS 1.2 only", afterHandshake, allowed.speaking("TLSv1.2"),
                    TlsFuzzConnection.FlightTamper.NONE, r);
        };
    }

    private static Kind draw(Random r) {
        int n = r.nextInt(Arrays.stream(Kind.values()).mapToInt(k -> k.weight).sum());
        for (Kind k : Kind.values()) {
            n -= k.weight;
            if (n < 0) {
                return k;
            }
        }
        throw new AssertionError("weights");
    }

    private static Attempt raw(Kind kind, String how, int index, boolean toSource, byte[] bytes) {
        FuzzPlan.Connection c = new FuzzPlan.Connection(index, toSource,
                List.of(new FuzzPlan.Frame(HANDSHAKE + " " + how, Mutation.NONE, bytes)));
        return new Attempt(kind, how, c, PlainFuzzConnection.LINK);
    }

    private static Attempt tls(Kind kind, String how, FuzzPlan.Connection c, FuzzerIdentity identity,
                               TlsFuzzConnection.FlightTamper tamper, Random r) {
        return new Attempt(kind, how, c, (daemon, from, timeout, index) -> new TlsFuzzConnection(daemon, from, timeout,
                identity.engine(), RecordMutation.NONE, tamper, r));
    }

    /**
     * Breaks the client's last handshake write (its Finished, encrypted, after its certificate): the tail of its
     * last record flipped or cut, or the write left out. The ChangeCipherSpec a TLS 1.3 client may send for
     * middleboxes is optional, so only what the handshake cannot do without is touched.
     */
    private static TlsFuzzConnection.FlightTamper finishedTamper(int way, Random r) {
        return (write, last, bytes) -> {
            if (!last) {
                return bytes;
            }
            int tail = Math.min(32, bytes.length);
            return switch (way) {
                case 0 -> {
                    byte[] b = bytes.clone();
                    for (int i = 1 + r.nextInt(8); i > 0; i--) {
                        b[b.length - 1 - r.nextInt(tail)] ^= (byte) (1 << r.nextInt(8));
                    }
                    yield b;
                }
                case 1 -> Arrays.copyOf(bytes, bytes.length - 1 - r.nextInt(tail));
                default -> new byte[0];
            };
        };
    }

    /** A real ClientHello record of the allowed identity (its randoms and key share are new each time). */
    private byte[] clientHello() {
        SSLEngine e = allowed.engine();
        try {
            e.beginHandshake();
            ByteBuffer out = ByteBuffer.allocate(e.getSession().getPacketBufferSize());
            e.wrap(ByteBuffer.allocate(0), out);
            out.flip();
            return Arrays.copyOf(out.array(), out.limit());
        } catch (SSLException ex) {
            throw new IllegalStateException("no ClientHello: " + ex, ex);
        }
    }

    /**
     * A ClientHello record (5-byte record header, 4-byte handshake header, body) broken one way, named in
     * {@code how[0]}. Fragmented is well-formed TLS: the daemon answers it, then the peer closes mid-handshake.
     */
    static byte[] brokenHello(byte[] hello, Random r, String[] how) {
        byte[] b = hello.clone();
        ByteBuffer w = ByteBuffer.wrap(b);
        switch (r.nextInt(11)) {
            case 0 -> {
                how[0] = "with bits flipped";
                for (int i = 1 + r.nextInt(8); i > 0; i--) {
                    b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 1 -> {
                how[0] = "cut short";
                b = Arrays.copyOf(b, r.nextInt(b.length));
            }
            case 2 -> {
                int[] lengths = {0, 1, b.length - 6, b.length - 4, (1 << 14) + 1, 0xffff};
                int len = lengths[r.nextInt(lengths.length)];
                how[0] = "with record length " + len;
                w.putShort(3, (short) len);
            }
            case 3 -> {
                int[] lengths = {0, 1, b.length - 10, b.length - 8, 0xffffff};
                int len = lengths[r.nextInt(lengths.length)];
                how[0] = "with handshake length " + len;
                b[6] = (byte) (len >> 16);
                b[7] = (byte) (len >> 8);
                b[8] = (byte) len;
            }
            case 4 -> {
                byte[] types = {20, 21, 23, 24, 0, (byte) 0xff};
                b[0] = types[r.nextInt(types.length)];
                how[0] = "in a record of content type " + (b[0] & 0xff);
            }
            case 5 -> {
                short[] versions = {0x0000, 0x0200, 0x0304, (short) 0xffff};
                short v = versions[r.nextInt(versions.length)];
                w.putShort(1, v);
                how[0] = "in a record of version " + Integer.toHexString(v & 0xffff);
            }
            case 6 -> {
                byte[] types = {0, 2, 4, 11, 20, 24, (byte) 0xff};
                b[5] = types[r.nextInt(types.length)];
                how[0] = "as handshake message type " + (b[5] & 0xff);
            }
            case 7 -> {
                int from = 9 + r.nextInt(b.length - 9);
                int n = 1 + r.nextInt(Math.min(64, b.length - from));
                byte[] junk = new byte[n];
                r.nextBytes(junk);
                System.arraycopy(junk, 0, b, from, n);
                how[0] = "with " + n + " random bytes at " + from;
            }
            case 8 -> {
                int times = 2 + r.nextInt(49);
                ByteBuffer all = ByteBuffer.allocate(b.length * times);
                for (int i = 0; i < times; i++) {
                    all.put(hello);
                }
                b = all.array();
                how[0] = "sent " + times + " times";
            }
            case 9 -> {
                byte[] junk = new byte[1 + r.nextInt(1024)];
                r.nextBytes(junk);
                b = ByteBuffer.allocate(b.length + junk.length).put(hello).put(junk).array();
                how[0] = "then " + junk.length + " random bytes";
            }
            default -> {
                int size = 1 + r.nextInt(64);
                b = fragmented(hello, size);
                how[0] = "fragmented into records of " + size + " bytes";
            }
        }
        return b;
    }

    /** The handshake message of a one-record {@code hello}, re-sent in records of {@code size} bytes. */
    private static byte[] fragmented(byte[] hello, int size) {
        int body = hello.length - 5;
        int records = (body + size - 1) / size;
        ByteBuffer out = ByteBuffer.allocate(body + 5 * records);
        for (int at = 5; at < hello.length; at += size) {
            int n = Math.min(size, hello.length - at);
            out.put(hello, 0, 3).putShort((short) n).put(hello, at, n);
        }
        return out.array();
    }
}
