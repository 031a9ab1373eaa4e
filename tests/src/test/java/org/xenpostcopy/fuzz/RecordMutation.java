package org.xenpostcopy.fuzz;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * How an allowed peer breaks the TLS record layer after its handshake, on one of its frames: each takes the records
 * that frame was encrypted into (5-byte header, then ciphertext) and returns what to write instead. A frame with no
 * records (one truncated to nothing) is left as it is. {@link #KEY_UPDATE} and {@link #DRIBBLE} are well-formed:
 * the daemon must go on answering; the rest must end the connection quietly.
 */
enum RecordMutation {
    /** The records as they are. */
    NONE(40),
    /** Bits flipped in a record's ciphertext or tag: it no longer authenticates. */
    FLIP(6) {
        @Override
        List<byte[]> apply(List<byte[]> records, byte[] plaintext, Random r) {
            return replaceOne(records, r, b -> {
                for (int i = 1 + r.nextInt(8); i > 0; i--) {
                    int at = HEADER + r.nextInt(b.length - HEADER);
                    b[at] ^= (byte) (1 << r.nextInt(8));
                }
                return b;
            });
        }
    },
    /** A record header announcing another length: none, one byte, one more or less, or beyond any record's limit. */
    RECORD_LENGTH(4) {
        @Override
        List<byte[]> apply(List<byte[]> records, byte[] plaintext, Random r) {
            return replaceOne(records, r, b -> {
                int body = b.length - HEADER;
                int[] lengths = {0, 1, body - 1, body + 1, (1 << 14) + 256 + 1, 0xffff};
                ByteBuffer.wrap(b).putShort(3, (short) lengths[r.nextInt(lengths.length)]);
                return b;
            });
        }
    },
    /** A record of another content type: change_cipher_spec, alert, handshake, heartbeat, none, or unknown. */
    CONTENT_TYPE(4) {
        @Override
        List<byte[]> apply(List<byte[]> records, byte[] plaintext, Random r) {
            byte[] types = {20, 21, 22, 24, 0, (byte) 0xff};
            return replaceOne(records, r, b -> {
                b[0] = types[r.nextInt(types.length)];
                return b;
            });
        }
    },
    /** A record header of another protocol version. */
    VERSION(3) {
        @Override
        List<byte[]> apply(List<byte[]> records, byte[] plaintext, Random r) {
            short[] versions = {0x0000, 0x0300, 0x0301, 0x0304, (short) 0xfeff, (short) 0xffff};
            return replaceOne(records, r, b -> {
                ByteBuffer.wrap(b).putShort(1, versions[r.nextInt(versions.length)]);
                return b;
            });
        }
    },
    /** A record cut short, and nothing after it: the connection then ends without close_notify. */
    TRUNCATE(3) {
        @Override
        List<byte[]> apply(List<byte[]> records, byte[] plaintext, Random r) {
            int at = r.nextInt(records.size());
            List<byte[]> out = new ArrayList<>(records.subList(0, at));
            out.add(Arrays.copyOf(records.get(at), r.nextInt(records.get(at).length)));
            return out;
        }
    },
    /** A record sent twice: the second is out of sequence, so it does not authenticate. */
    REPLAY(3) {
        @Override
        List<byte[]> apply(List<byte[]> records, byte[] plaintext, Random r) {
            List<byte[]> out = new ArrayList<>(records);
            int at = r.nextInt(records.size());
            out.add(at + 1, records.get(at));
            return out;
        }
    },
    /** A record left out: the next is out of sequence. */
    DROP(3) {
        @Override
        List<byte[]> apply(List<byte[]> records, byte[] plaintext, Random r) {
            List<byte[]> out = new ArrayList<>(records);
            out.remove(r.nextInt(records.size()));
            return out;
        }
    },
    /** The frame in clear, not encrypted at all, where its records belong. */
    CLEAR(3) {
        @Override
        List<byte[]> apply(List<byte[]> records, byte[] plaintext, Random r) {
            return List.of(plaintext);
        }
    },
    /** An application-data record of the right shape and random content. */
    RANDOM_RECORD(3) {
        @Override
        List<byte[]> apply(List<byte[]> records, byte[] plaintext, Random r) {
            return replaceOne(records, r, b -> {
                byte[] header = Arrays.copyOf(b, HEADER);
                r.nextBytes(b);
                System.arraycopy(header, 0, b, 0, HEADER);
                return b;
            });
        }
    },
    /** A TLS 1.3 KeyUpdate before the frame (the connection asks its engine for one): well-formed. */
    KEY_UPDATE(4),
    /** The frame's records written a few bytes at a time, so the daemon reads partial records: well-formed. */
    DRIBBLE(4);

    /** A record header: content type, version, length. */
    static final int HEADER = 5;

    final int weight;

    RecordMutation(int weight) {
        this.weight = weight;
    }

    /** What to write instead of one frame's {@code records} ({@code plaintext} is the frame itself). */
    List<byte[]> apply(List<byte[]> records, byte[] plaintext, Random r) {
        return records;
    }

    static RecordMutation draw(Random r) {
        int n = r.nextInt(Arrays.stream(values()).mapToInt(m -> m.weight).sum());
        for (RecordMutation m : values()) {
            n -= m.weight;
            if (n < 0) {
                return m;
            }
        }
        throw new AssertionError("weights");
    }

    private static List<byte[]> replaceOne(List<byte[]> records, Random r,
                                           java.util.function.UnaryOperator<byte[]> change) {
        List<byte[]> out = new ArrayList<>(records);
        int at = r.nextInt(records.size());
        if (records.get(at).length > HEADER) {
            out.set(at, change.apply(records.get(at).clone()));
        }
        return out;
    }
}
