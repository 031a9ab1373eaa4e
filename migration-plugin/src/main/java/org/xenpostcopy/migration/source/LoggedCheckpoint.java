package org.xenpostcopy.migration.source;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.VcpuState;

/**
 * The newest whole checkpoint in a {@link CheckpointLog}, read where it lies: for each page, where in the file its
 * newest copy is, so the checkpoint is given page by page from the file, never held in memory (8 bytes a gfn). It is
 * what a compaction writes as the log's one record, and what a restarted daemon restores when a fail-back was cut
 * short. Only records whose checksum held count, merged as {@link CheckpointStore} merges commits: a record's pages
 * over the ones before, then its holes taken out.
 */
final class LoggedCheckpoint implements CheckpointRestore.Source {
    private final Path file;
    private final long seq;
    private final long guestOps;
    private final GfnBitmap unpopulated;
    private final List<VcpuState> vcpus;
    /** Where each gfn's page lies in the file, -1 for none. */
    private final long[] offsets;
    private final long pageCount;

    private LoggedCheckpoint(Path file, long seq, long guestOps, GfnBitmap unpopulated, List<VcpuState> vcpus,
                             long[] offsets) {
        this.file = file;
        this.seq = seq;
        this.guestOps = guestOps;
        this.unpopulated = unpopulated;
        this.vcpus = vcpus;
        this.offsets = offsets;
        this.pageCount = Arrays.stream(offsets).filter(o -> o >= 0).count();
    }

    /**
     * The newest whole checkpoint in the log {@code file}, no newer than {@code newestSeq} (a record past it is one
     * whose commit was refused, and never counts); empty if it holds none.
     */
    static Optional<LoggedCheckpoint> read(Path file, long gfnCount, long newestSeq) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(ch, ch.size(), gfnCount, newestSeq, file);
        }
    }

    /** As {@link #read(Path, long, long)}, from the first {@code size} bytes of the log open in {@code ch}. */
    static Optional<LoggedCheckpoint> read(FileChannel ch, long size, long gfnCount, long newestSeq, Path file)
            throws IOException {
        Index index = new Index(Math.toIntExact(gfnCount), newestSeq);
        CheckpointLog.read(ch, size, gfnCount, index, file);
        return index.seq == 0 ? Optional.empty() : Optional.of(new LoggedCheckpoint(file, index.seq, index.guestOps,
                index.unpopulated, index.vcpus, index.offsets));
    }

    @Override
    public long seq() {
        return seq;
    }

    long guestOps() {
        return guestOps;
    }

    @Override
    public GfnBitmap unpopulated() {
        return unpopulated;
    }

    @Override
    public List<VcpuState> vcpus() {
        return vcpus;
    }

    long pageCount() {
        return pageCount;
    }

    /** Gives every page to {@code write}, in gfn order, read from the file. */
    @Override
    public void forEachPage(CheckpointStore.PageWriter write) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            forEachPage(ch, write, () -> false);
        } catch (IOException | UncheckedIOException e) {
            throw new MigrationException("reading checkpoint " + seq + " from the log " + file + " failed: "
                    + e.getMessage(), e);
        }
    }

    /**
     * Gives every page to {@code write}, in gfn order, read from {@code ch} (the log this was read from, as it was).
     *
     * @throws UncheckedIOException if a read fails
     * @throws CancellationException once {@code cancelled} says so
     */
    void forEachPage(FileChannel ch, CheckpointStore.PageWriter write, BooleanSupplier cancelled) {
        ByteBuffer page = ByteBuffer.allocate(Gfn.PAGE_SIZE);
        for (int g = 0; g < offsets.length; g++) {
            if (offsets[g] < 0) {
                continue;
            }
            if (cancelled.getAsBoolean()) {
                throw new CancellationException("reading checkpoint " + seq + " was called off");
            }
            page.clear();
            try {
                while (page.hasRemaining()) {
                    if (ch.read(page, offsets[g] + page.position()) < 0) {
                        throw new IOException("the log ends inside the page of gfn " + g);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            write.write(g, page.flip().asReadOnlyBuffer());
        }
    }

    /** Builds the index as the log is read: a record's pages are staged, and count once its checksum held. */
    private static final class Index implements CheckpointLog.Replay {
        final long[] offsets;
        final long newestSeq;
        long seq;
        long guestOps;
        GfnBitmap unpopulated;
        List<VcpuState> vcpus;
        long stagingSeq = -1;
        long[] stagedGfns = new long[64];
        long[] stagedOffsets = new long[64];
        int staged;

        Index(int gfnCount, long newestSeq) {
            this.offsets = new long[gfnCount];
            Arrays.fill(offsets, -1);
            this.newestSeq = newestSeq;
        }

        @Override
        public void page(long seq, long gfn, ByteBuffer page) {
            throw new IllegalStateException("the log gives each page with its offset");
        }

        @Override
        public void pageAt(long seq, long gfn, long offset, ByteBuffer page) {
            if (seq != stagingSeq) {
                stagingSeq = seq;
                staged = 0;
            }
            if (staged == stagedGfns.length) {
                stagedGfns = Arrays.copyOf(stagedGfns, 2 * staged);
                stagedOffsets = Arrays.copyOf(stagedOffsets, 2 * staged);
            }
            stagedGfns[staged] = gfn;
            stagedOffsets[staged++] = offset;
        }

        @Override
        public void commit(long seq, long ops, GfnBitmap holes, List<VcpuState> vcpus, long pageCount) {
            int n = seq == stagingSeq ? staged : 0;
            stagingSeq = -1;
            staged = 0;
            if (seq > newestSeq) {
                return;
            }
            for (int i = 0; i < n; i++) {
                offsets[(int) stagedGfns[i]] = stagedOffsets[i];
            }
            for (long g = holes.nextSet(0); g >= 0; g = holes.nextSet(g + 1)) {
                offsets[(int) g] = -1;
            }
            this.seq = seq;
            this.guestOps = ops;
            this.unpopulated = holes;
            this.vcpus = vcpus;
        }
    }
}
