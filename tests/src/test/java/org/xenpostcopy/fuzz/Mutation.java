package org.xenpostcopy.fuzz;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.protocol.TType;
import org.xenpostcopy.fuzz.MarkedFrame.Kind;
import org.xenpostcopy.fuzz.MarkedFrame.Mark;

/**
 * The ways a well-formed call is broken: each takes the call's marked bytes and a {@link Random} and returns the
 * bytes to send. Where a call lacks the part a mutation aims at (a list, say), it falls back to flipping bits.
 */
enum Mutation {
    /** The call as it is: a valid message naming sessions and domains the daemon does not have. */
    NONE(3) {
        @Override
        byte[] apply(MarkedFrame f, Random r, List<String> names) {
            return f.bytes();
        }
    },
    /** One to eight bits flipped anywhere. */
    BIT_FLIPS(4) {
        @Override
        byte[] apply(MarkedFrame f, Random r, List<String> names) {
            byte[] b = f.bytes().clone();
            for (int i = 1 + r.nextInt(8); i > 0; i--) {
                b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
            }
            return b;
        }
    },
    /** Cut short anywhere (the peer then closes its side: a stalled one is a test of its own). */
    TRUNCATE(3) {
        @Override
        byte[] apply(MarkedFrame f, Random r, List<String> names) {
            return Arrays.copyOf(f.bytes(), r.nextInt(f.bytes().length));
        }
    },
    /** A string or binary announcing far more bytes than follow, up to 2 GiB. */
    HUGE_LENGTH(3) {
        @Override
        byte[] apply(MarkedFrame f, Random r, List<String> names) {
            return setI32(f, r, Kind.LENGTH, HUGE[r.nextInt(HUGE.length)]);
        }
    },
    /** A string or binary of negative length. */
    NEGATIVE_LENGTH(2) {
        @Override
        byte[] apply(MarkedFrame f, Random r, List<String> names) {
            return setI32(f, r, Kind.LENGTH, r.nextBoolean() ? -1 : Integer.MIN_VALUE + r.nextInt(16));
        }
    },
    /** A list announcing millions of elements, or a negative count. */
    HUGE_LIST(2) {
        @Override
        byte[] apply(MarkedFrame f, Random r, List<String> names) {
            int[] counts = {-1, 4097, 1 << 20, Integer.MAX_VALUE};
            return setI32(f, r, Kind.LIST_SIZE, counts[r.nextInt(counts.length)]);
        }
    },
    /** A field repeated, up to a thousand times in a row (Thrift keeps the last; memory must not grow). */
    REPEAT_FIELD(3) {
        @Override
        byte[] apply(MarkedFrame f, Random r, List<String> names) {
            Mark m = pick(f, r, Kind.FIELD);
            if (m == null) {
                return BIT_FLIPS.apply(f, r, names);
            }
            byte[] field = Arrays.copyOfRange(f.bytes(), m.offset(), m.end());
            int times = r.nextInt(4) == 0 ? 1000 : 1 + r.nextInt(4);
            ByteBuffer copies = ByteBuffer.allocate(field.length * times);
            for (int i = 0; i < times; i++) {
                copies.put(field);
            }
            return splice(f.bytes(), m.end(), m.end(), copies.array());
        }
    },
    /** A field left out (a required value missing). */
    DROP_FIELD(2) {
        @Override
        byte[] apply(MarkedFrame f, Random r, List<String> names) {
            Mark m = pick(f, r, Kind.FIELD);
            return m == null ? BIT_FLIPS.apply(f, r, names) : splice(f.bytes(), m.offset(), m.end(), new byte[0]);
        }
    },
    /** A field whose type byte says another type (or none that exists); its bytes then mean something else. */
    WRONG_TYPE(3) {
        @Override
        byte[] apply(MarkedFrame f, Random r, List<String> names) {
            Mark m = pick(f, r, Kind.FIELD);
            if (m == null) {
                return BIT_FLIPS.apply(f, r, names);
            }
            byte[] types = {TType.BOOL, TType.BYTE, TType.DOUBLE, TType.I16, TType.I32, TType.I64, TType.STRING,
                TType.STRUCT, TType.MAP, TType.SET, TType.LIST, 17, (byte) 0xff};
            byte[] b = f.bytes().clone();
            b[m.offset()] = types[r.nextInt(types.length)];
            return b;
        }
    },
    /** A field under another id, or one the IDL never had. */
    FIELD_ID(2) {
        @Override
        byte[] apply(MarkedFrame f, Random r, List<String> names) {
            Mark m = pick(f, r, Kind.FIELD);
            if (m == null) {
                return BIT_FLIPS.apply(f, r, names);
            }
            byte[] b = f.bytes().clone();
            short id = (short) (r.nextBoolean() ? r.nextInt(20) : r.nextInt());
            b[m.offset() + 1] = (byte) (id >> 8);
            b[m.offset() + 2] = (byte) id;
            return b;
        }
    },
    /** These arguments sent to another method, of this service or another. */
    OTHER_METHOD(3) {
        @Override
        byte[] apply(MarkedFrame f, Random r, List<String> names) {
            return rename(f, names.get(r.nextInt(names.size())));
        }
    },
    /** A message name no service takes: unknown method or service, no colon, empty, or 60 KiB long. */
    UNKNOWN_NAME(2) {
        @Override
        byte[] apply(MarkedFrame f, Random r, List<String> names) {
            String[] odd = {"receiver:nosuch", "nosuch:prepare", "prepare", "", ":", "receiver:", ":prepare",
                "control:listDomains:x", "x".repeat(60 << 10), "receiver:prepare\u0000", "r\u00e9ceiver:prepare"};
            return rename(f, odd[r.nextInt(odd.length)]);
        }
    },
    /** A reply, an exception or an unknown type where a call belongs, or a wrong protocol version. */
    MESSAGE_TYPE(2) {
        @Override
        byte[] apply(MarkedFrame f, Random r, List<String> names) {
            int[] words = {0x80010000 | TMessageType.REPLY, 0x80010000 | TMessageType.EXCEPTION,
                0x80010000 | TMessageType.ONEWAY, 0x80010000 | TMessageType.CALL, 0x80010000 | 9, 0x80020001,
                0x7f010001, 0};
            return setI32(f.bytes(), f.first(Kind.MESSAGE_TYPE).offset(), words[r.nextInt(words.length)]);
        }
    },
    /** Any sequence id: the reply must carry it back, nothing else depends on it. */
    SEQ_ID(1) {
        @Override
        byte[] apply(MarkedFrame f, Random r, List<String> names) {
            return setI32(f.bytes(), f.first(Kind.SEQ_ID).offset(), r.nextInt());
        }
    },
    /** Random bytes spliced in somewhere. */
    INSERT_BYTES(2) {
        @Override
        byte[] apply(MarkedFrame f, Random r, List<String> names) {
            byte[] junk = new byte[1 + r.nextInt(64)];
            r.nextBytes(junk);
            int at = r.nextInt(f.bytes().length + 1);
            return splice(f.bytes(), at, at, junk);
        }
    },
    /** The call's header, then random bytes where its arguments belong. */
    RANDOM_BODY(3) {
        @Override
        byte[] apply(MarkedFrame f, Random r, List<String> names) {
            int header = f.first(Kind.SEQ_ID).end();
            byte[] body = new byte[r.nextInt(512)];
            r.nextBytes(body);
            return splice(f.bytes(), header, f.bytes().length, body);
        }
    },
    /** No message at all: up to 4 KiB of random bytes. */
    RANDOM_BYTES(3) {
        @Override
        byte[] apply(MarkedFrame f, Random r, List<String> names) {
            byte[] b = new byte[1 + r.nextInt(4096)];
            r.nextBytes(b);
            return b;
        }
    },
    /** A binary field whose bytes really come, more of them than a field may have (16 MiB + 1). */
    OVERSIZED(0) {
        @Override
        byte[] apply(MarkedFrame f, Random r, List<String> names) {
            Mark m = pick(f, r, Kind.LENGTH);
            if (m == null) {
                return BIT_FLIPS.apply(f, r, names);
            }
            byte[] payload = new byte[4 + (16 << 20) + 1];
            ByteBuffer.wrap(payload).putInt(payload.length - 4);
            return splice(f.bytes(), m.offset(), m.end(), payload);
        }
    };

    /** 16 MiB a frame is slow to build and send: one frame in this many is {@link #OVERSIZED}. */
    static final int OVERSIZED_ODDS = 400;

    /** Announced lengths: just over each limit the daemon has, and far beyond them. */
    private static final int[] HUGE = {(64 << 10) + 1, (16 << 20) + 1, (48 << 20) + 1, 1 << 30, Integer.MAX_VALUE};

    /** How often this mutation is drawn, relative to the others ({@link #OVERSIZED} is drawn apart, rarely). */
    final int weight;

    Mutation(int weight) {
        this.weight = weight;
    }

    abstract byte[] apply(MarkedFrame f, Random r, List<String> names);

    /** Draws a mutation by weight; one in {@code 1 / OVERSIZED_ODDS} is {@link #OVERSIZED}. */
    static Mutation draw(Random r) {
        if (r.nextInt(OVERSIZED_ODDS) == 0) {
            return OVERSIZED;
        }
        int total = Arrays.stream(values()).mapToInt(m -> m.weight).sum();
        int n = r.nextInt(total);
        for (Mutation m : values()) {
            n -= m.weight;
            if (n < 0) {
                return m;
            }
        }
        throw new AssertionError("weights");
    }

    private static Mark pick(MarkedFrame f, Random r, Kind kind) {
        List<Mark> marks = f.all(kind);
        return marks.isEmpty() ? null : marks.get(r.nextInt(marks.size()));
    }

    private static byte[] setI32(MarkedFrame f, Random r, Kind kind, int value) {
        Mark m = pick(f, r, kind);
        return m == null ? BIT_FLIPS.apply(f, r, List.of()) : setI32(f.bytes(), m.offset(), value);
    }

    private static byte[] setI32(byte[] bytes, int offset, int value) {
        byte[] b = bytes.clone();
        ByteBuffer.wrap(b).putInt(offset, value);
        return b;
    }

    private static byte[] rename(MarkedFrame f, String name) {
        Mark m = f.first(Kind.MESSAGE_NAME);
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        byte[] field = ByteBuffer.allocate(4 + utf8.length).putInt(utf8.length).put(utf8).array();
        return splice(f.bytes(), m.offset(), m.end(), field);
    }

    /** {@code bytes} with {@code [from, to)} replaced by {@code insert}. */
    private static byte[] splice(byte[] bytes, int from, int to, byte[] insert) {
        byte[] out = new byte[bytes.length - (to - from) + insert.length];
        System.arraycopy(bytes, 0, out, 0, from);
        System.arraycopy(insert, 0, out, from, insert.length);
        System.arraycopy(bytes, to, out, from + insert.length, bytes.length - to);
        return out;
    }
}
