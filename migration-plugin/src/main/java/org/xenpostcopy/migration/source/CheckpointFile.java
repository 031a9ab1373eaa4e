package org.xenpostcopy.migration.source;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.VcpuState;

/**
 * The checkpoint a fail-back restores, on disk beside the session's journal entry: a daemon that dies in the middle
 * of the restore leaves a copy partly overwritten, and the next one can only make it whole again from the same
 * checkpoint. Written whole before the restore starts (temporary file, fsync, rename), read back only by a restarted
 * daemon. Layout (big-endian): magic, seq, guest operations, gfn span, the hole map's words, the vCPU states, the
 * page count, then each page as its gfn and 4096 bytes, and the magic again, so a file cut short is refused.
 */
final class CheckpointFile {
    private static final long MAGIC = 0x584c5043434b5031L;   // "XLPCCKP1"

    /** What a fail-back restores: the checkpoint's hole map and vCPU state, and its pages read from the file. */
    record Frozen(long seq, long guestOps, GfnBitmap unpopulated, List<VcpuState> vcpus, Path file)
            implements CheckpointRestore.Source {
        @Override
        public void forEachPage(CheckpointStore.PageWriter write) {
            try (DataInputStream in = open(file)) {
                skipHeader(in);
                long pages = in.readLong();
                byte[] page = new byte[Gfn.PAGE_SIZE];
                for (long i = 0; i < pages; i++) {
                    long gfn = in.readLong();
                    in.readFully(page);
                    if (gfn < 0 || gfn >= unpopulated.size()) {
                        throw new IOException("gfn " + gfn + " is outside the guest");
                    }
                    write.write(gfn, ByteBuffer.wrap(page).asReadOnlyBuffer());
                }
            } catch (IOException e) {
                throw new MigrationException("reading checkpoint " + seq + " from " + file + " failed: "
                        + e.getMessage(), e);
            }
        }
    }

    private CheckpointFile() {
    }

    /** Writes checkpoint {@code c}, its pages from {@code store} (frozen), to {@code file} durably. */
    static void write(Path file, CheckpointStore.Committed c, CheckpointStore store) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            OutputStream raw = Channels.newOutputStream(ch);
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(raw, 1 << 20));
            out.writeLong(MAGIC);
            out.writeLong(c.seq());
            out.writeLong(c.guestOps());
            long[] words = c.unpopulated().toWords();
            out.writeLong(c.unpopulated().size());
            out.writeInt(words.length);
            for (long w : words) {
                out.writeLong(w);
            }
            out.writeInt(c.vcpus().size());
            for (VcpuState v : c.vcpus()) {
                out.writeInt(v.vcpu());
                out.writeInt(v.context().length);
                out.write(v.context());
            }
            out.writeLong(c.pageCount());
            long[] written = {0};
            byte[] page = new byte[Gfn.PAGE_SIZE];
            IOException[] failed = {null};
            store.forEachPage((gfn, src) -> {
                if (failed[0] != null) {
                    return;
                }
                try {
                    src.duplicate().get(page);
                    out.writeLong(gfn);
                    out.write(page);
                    written[0]++;
                } catch (IOException e) {
                    failed[0] = e;
                }
            });
            if (failed[0] != null) {
                throw failed[0];
            }
            if (written[0] != c.pageCount()) {
                throw new IOException("checkpoint " + c.seq() + " names " + c.pageCount() + " pages, " + written[0]
                        + " were there to write");
            }
            out.writeLong(MAGIC);
            out.flush();
            ch.force(true);
        }
        DurableRename.replace(tmp, file);
    }

    /**
     * Reads the checkpoint in {@code file} (its header, and the whole file once to check it is complete).
     *
     * @throws MigrationException if it is missing, cut short or not {@code expectedSeq}
     */
    static Frozen read(Path file, long expectedSeq) {
        try (DataInputStream in = open(file)) {
            if (in.readLong() != MAGIC) {
                throw new IOException("not a checkpoint file");
            }
            long seq = in.readLong();
            long ops = in.readLong();
            long span = in.readLong();
            // No length read here is trusted before it is checked against what the file and the guest allow.
            long size = Files.size(file);
            int wordCount = in.readInt();
            if (span < 0 || span > Integer.MAX_VALUE || wordCount != (span + 63) / 64) {
                throw new IOException("its hole map is damaged");
            }
            long[] words = new long[wordCount];
            for (int i = 0; i < words.length; i++) {
                words[i] = in.readLong();
            }
            int n = in.readInt();
            if (n < 0 || n > 4096) {
                throw new IOException("its vCPU count is damaged");
            }
            List<VcpuState> vcpus = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int vcpu = in.readInt();
                int len = in.readInt();
                if (len < 0 || len > VcpuState.MAX_CONTEXT_BYTES || len > size) {
                    throw new IOException("the length of vCPU " + vcpu + "'s context is damaged");
                }
                byte[] ctx = new byte[len];
                in.readFully(ctx);
                vcpus.add(new VcpuState(vcpu, ctx));
            }
            long pages = in.readLong();
            if (pages < 0 || pages > span) {
                throw new IOException("its page count is damaged");
            }
            in.skipNBytes(pages * (8L + Gfn.PAGE_SIZE));
            if (in.readLong() != MAGIC) {
                throw new IOException("its end marker is missing");
            }
            if (seq != expectedSeq) {
                throw new IOException("it holds checkpoint " + seq + ", the journal names " + expectedSeq);
            }
            return new Frozen(seq, ops, GfnBitmap.fromWords(span, words), List.copyOf(vcpus), file);
        } catch (EOFException e) {
            throw new MigrationException("the checkpoint file " + file + " is cut short", e);
        } catch (IOException e) {
            throw new MigrationException("the checkpoint file " + file + " cannot be used: " + e.getMessage(), e);
        }
    }

    private static DataInputStream open(Path file) throws IOException {
        return new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 20));
    }

    private static void skipHeader(DataInputStream in) throws IOException {
        in.readLong();
        in.readLong();
        in.readLong();
        in.readLong();
        in.skipNBytes(8L * in.readInt());
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            in.readInt();
            in.skipNBytes(in.readInt());
        }
    }
}
