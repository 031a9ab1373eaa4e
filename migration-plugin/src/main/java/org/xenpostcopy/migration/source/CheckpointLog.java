package org.xenpostcopy.migration.source;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.VcpuState;

/**
 * The committed reverse checkpoints of one outgoing session, on disk beside its journal entry, so a restarted daemon
 * can still fail back to the newest of them. Append-only: each commit adds one record holding only that
 * checkpoint's pages (the pages its guest dirtied since the one before), and a reader merges the records in order,
 * as {@link CheckpointStore} merges commits. A record is synced before its commit is acknowledged, so every
 * checkpoint the destination counts as committed is on disk; one cut short (the daemon died while writing it) fails
 * its length or checksum and is refused, with everything after it, and the log is cut back to the last whole record.
 * When the records outgrow twice the pages they amount to, the log is compacted beside the appends
 * ({@link Compaction}) into one record of the merged pages, then the records appended meanwhile (temporary file,
 * sync, atomic rename), so it stays within about twice the checkpoint's size; a failed one is not tried again
 * before the log has grown by as much again ({@link #backOff}). No length read back is trusted further than the
 * file and the guest allow: a damaged one refuses its record before anything of that length is allocated.
 *
 * <p>Layout (big-endian): the file's magic and gfn span; then records, each: its magic, the length of its body, the
 * body — seq, guest operations, the hole map's words, the vCPU states, the page count, then each page as its gfn
 * and 4096 bytes — and the body's CRC-32C.
 */
final class CheckpointLog implements AutoCloseable {
    private static final long FILE_MAGIC = 0x584c5043434b4c31L;    // "XLPCCKL1"
    private static final long RECORD_MAGIC = 0x584c5043434b5231L;  // "XLPCCKR1"
    private static final int FILE_HEADER = 16;
    private static final int PAGE_RECORD = 8 + Gfn.PAGE_SIZE;
    /** More vCPUs than a record is read with: Xen's own limit (HVM) is far below. */
    private static final int MAX_VCPUS = 4096;
    /** Slack beside twice the merged pages before a rewrite: small checkpoints do not rewrite the log every time. */
    static final long DEFAULT_SLACK_BYTES = 8L << 20;
    /** Added to the log's name for the file a compaction writes. */
    static final String COMPACTION_SUFFIX = ".compacting";

    private final Path file;
    private final long gfnCount;
    private final long slackBytes;
    private FileChannel channel;
    /**
     * Where the last whole record ends: the log's length as far as a reader goes. Changed only under the store's
     * lock; read without it by a compaction, which copies whole records up to it.
     */
    private volatile long end;
    /** Counts the times the file was replaced: a compaction begun before one is void. */
    private long generation;
    /** After a compaction failed: none is tried again before the log reaches this length (0: no back-off). */
    private long retryAt;
    /** A write failed and could not be undone: the next commit rewrites the whole log instead of appending. */
    private boolean broken;
    /** Set by {@link #recover}: see {@link #lostRecords}. */
    private String lostRecords;
    /** How long the last append's sync took (the rest of its time is the copy into the page cache). */
    private long lastSyncNanos;
    /** Writes the appended records: one per log, reused by every commit. */
    private final RecordWriter records = new RecordWriter();

    /** One checkpoint as a record holds it; {@code pages} gives each page to a writer. */
    record Entry(long seq, long guestOps, GfnBitmap unpopulated, List<VcpuState> vcpus, long pageCount,
                 Pages pages) {
    }

    /** The pages of a record, given one by one. */
    interface Pages {
        void forEach(CheckpointStore.PageWriter write);
    }

    /** Where a reader puts what it reads: pages of a record, then its commit if the record is whole. */
    interface Replay {
        void page(long seq, long gfn, ByteBuffer page);

        /** As {@link #page}, with where the page's 4096 bytes lie in the file. */
        default void pageAt(long seq, long gfn, long offset, ByteBuffer page) {
            page(seq, gfn, page);
        }

        /** Record {@code seq} was whole: its pages, given before, are committed with this hole map and vCPU state. */
        void commit(long seq, long guestOps, GfnBitmap unpopulated, List<VcpuState> vcpus, long pageCount);
    }

    private CheckpointLog(Path file, long gfnCount, long slackBytes, FileChannel channel, long end) {
        this.file = file;
        this.gfnCount = gfnCount;
        this.slackBytes = slackBytes;
        this.channel = channel;
        this.end = end;
    }

    /** A new, empty log in {@code file} (replacing any there), durably created. */
    static CheckpointLog create(Path file, long gfnCount) throws IOException {
        return create(file, gfnCount, DEFAULT_SLACK_BYTES);
    }

    static CheckpointLog create(Path file, long gfnCount, long slackBytes) throws IOException {
        Path tmp = tmp(file);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(header(gfnCount));
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        DurableRename.syncDirectoryOf(file);
        return new CheckpointLog(file, gfnCount, slackBytes, openForAppend(file), FILE_HEADER);
    }

    /**
     * Reads the log in {@code file} into {@code into}, record by record; a record cut short or damaged, and what
     * follows it, is refused and cut off the file — unless a whole record follows it ({@link #lostRecords}). Returns
     * the log, open to append after its last whole record.
     *
     * @throws IOException if the file is missing, is not such a log, or is for another gfn span
     */
    static CheckpointLog recover(Path file, long gfnCount, Replay into) throws IOException {
        return recover(file, gfnCount, into, DEFAULT_SLACK_BYTES);
    }

    static CheckpointLog recover(Path file, long gfnCount, Replay into, long slackBytes) throws IOException {
        long whole = read(file, gfnCount, into);
        Files.deleteIfExists(compactionTmp(file));     // a compaction the old daemon died in: the log is whole
        String lost = wholeRecordAfter(file, gfnCount, whole);
        FileChannel ch = openForAppend(file);
        try {
            // A torn last record goes; a damaged one with whole ones after it stays, for whoever looks into it.
            if (lost == null && ch.size() > whole) {
                ch.truncate(whole);
                ch.force(true);
            }
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        CheckpointLog log = new CheckpointLog(file, gfnCount, slackBytes, ch, whole);
        log.lostRecords = lost;
        return log;
    }

    /**
     * Why whole records were found after a damaged one, or null (none were: at most the last record is torn). A
     * record is acknowledged only once synced, so only the last can be torn by a dying daemon; a damaged record with
     * a whole one after it is the disk's doing, and the checkpoints after it, which the destination counts as
     * committed and builds its next checkpoints on, are lost.
     */
    String lostRecords() {
        return lostRecords;
    }

    /**
     * Looks for a whole record after {@code damagedAt}: each place its magic occurs is read as a record. A torn
     * record can be most of a guest's memory, so the search goes a chunk at a time, not a byte at a time.
     */
    private static String wholeRecordAfter(Path file, long gfnCount, long damagedAt) throws IOException {
        long size = Files.size(file);
        if (damagedAt + 16 >= size) {
            return null;           // no room for a record after it
        }
        byte[] page = new byte[Gfn.PAGE_SIZE];
        Replay discard = new Replay() {
            @Override
            public void page(long seq, long gfn, ByteBuffer p) {
            }

            @Override
            public void commit(long seq, long guestOps, GfnBitmap unpopulated, List<VcpuState> vcpus, long n) {
            }
        };
        ByteBuffer magic = ByteBuffer.allocate(8).putLong(0, RECORD_MAGIC);
        ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            // chunks overlap by 7 bytes, so a magic across two of them is seen
            for (long from = damagedAt + 1; from + 16 <= size; from += chunk.capacity() - 7) {
                chunk.clear();
                while (chunk.hasRemaining() && ch.read(chunk, from + chunk.position()) >= 0) {
                    // a positional read may return short
                }
                byte[] b = chunk.array();
                for (int k = 0; k + 8 <= chunk.position(); k++) {
                    if (b[k] != magic.get(0) || ByteBuffer.wrap(b, k, 8).getLong() != RECORD_MAGIC) {
                        continue;
                    }
                    long start = from + k;
                    try (FileChannel candidate = FileChannel.open(file, StandardOpenOption.READ)) {
                        candidate.position(start);
                        DataInputStream in = new DataInputStream(new BufferedInputStream(
                                Channels.newInputStream(candidate), 1 << 16));
                        if (readRecord(in, start, size, gfnCount, page, discard) >= 0) {
                            return "the record at byte " + damagedAt + " is damaged and a whole one follows at byte "
                                    + start;
                        }
                    }
                }
                if (from + chunk.position() >= size) {
                    break;
                }
            }
        }
        return null;
    }

    /** Reads every whole record into {@code into}; returns where the last whole one ends. */
    static long read(Path file, long gfnCount, Replay into) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(ch, ch.size(), gfnCount, into, file);
        } catch (NoSuchFileException e) {
            throw new IOException("there is no checkpoint log " + file, e);
        }
    }

    /**
     * Reads every whole record in the first {@code size} bytes of the log open in {@code ch} (from its start) into
     * {@code into}; returns where the last whole one ends.
     */
    static long read(FileChannel ch, long size, long gfnCount, Replay into, Path file) throws IOException {
        ch.position(0);
        InputStream raw = new BufferedInputStream(Channels.newInputStream(ch), 1 << 20);
        DataInputStream in = new DataInputStream(raw);
        try {
            if (in.readLong() != FILE_MAGIC) {
                throw new IOException(file + " is not a checkpoint log");
            }
            long span = in.readLong();
            if (span != gfnCount) {
                throw new IOException(file + " holds checkpoints of " + span + " gfns, not " + gfnCount);
            }
        } catch (EOFException e) {
            throw new IOException(file + " is cut short before its header ends", e);
        }
        long at = FILE_HEADER;
        byte[] page = new byte[Gfn.PAGE_SIZE];
        while (at + 16 <= size) {
            long next = readRecord(in, at, size, gfnCount, page, into);
            if (next < 0) {
                break;
            }
            at = next;
        }
        return at;
    }

    /**
     * Reads the record at {@code at} into {@code into}; returns where it ends, or -1 if it is cut short or damaged.
     * Only its checksum proves a record whole, so no length in it is trusted further than the record's own: one that
     * runs past the record marks the record damaged, not the log unreadable (nor the heap exhausted).
     */
    private static long readRecord(DataInputStream in, long at, long size, long gfnCount, byte[] page, Replay into)
            throws IOException {
        try {
            if (in.readLong() != RECORD_MAGIC) {
                return -1;
            }
            long length = in.readLong();
            if (length < 0 || length > size - at - 16 - 8) {
                return -1;         // cut short: its length runs past the end of the file
            }
            if (length > maxBodyLength(gfnCount)) {
                return -1;         // damaged: longer than any checkpoint of this guest could be
            }
            CRC32C crc = new CRC32C();
            DataInputStream body = new DataInputStream(new CheckedInputStream(in, crc));
            long seq = body.readLong();
            long ops = body.readLong();
            int wordCount = body.readInt();
            if (wordCount != (gfnCount + 63) / 64) {
                return -1;
            }
            long[] words = new long[wordCount];
            for (int i = 0; i < wordCount; i++) {
                words[i] = body.readLong();
            }
            int n = body.readInt();
            if (n < 0 || n > MAX_VCPUS) {
                return -1;
            }
            List<VcpuState> vcpus = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int vcpu = body.readInt();
                int len = body.readInt();
                if (vcpu < 0) {
                    return -1;
                }
                // Allocated before the checksum can prove it: no more than a context can be, nor than is left.
                if (len < 0 || len > VcpuState.MAX_CONTEXT_BYTES || len > length - bodyLength(wordCount, vcpus, 0)) {
                    return -1;
                }
                byte[] ctx = new byte[len];
                body.readFully(ctx);
                vcpus.add(new VcpuState(vcpu, ctx));
            }
            long pages = body.readLong();
            if (pages < 0 || pages > gfnCount || bodyLength(wordCount, vcpus, pages) != length) {
                return -1;
            }
            long pageAt = at + 16 + bodyLength(wordCount, vcpus, 0) + 8;
            for (long i = 0; i < pages; i++, pageAt += PAGE_RECORD) {
                long gfn = body.readLong();
                body.readFully(page);
                if (gfn < 0 || gfn >= gfnCount) {
                    return -1;
                }
                into.pageAt(seq, gfn, pageAt, ByteBuffer.wrap(page).asReadOnlyBuffer());
            }
            if (in.readLong() != crc.getValue()) {
                return -1;         // damaged: its pages, staged, are never committed
            }
            into.commit(seq, ops, GfnBitmap.fromWords(gfnCount, words), List.copyOf(vcpus), pages);
            return at + 16 + length + 8;
        } catch (EOFException cutShort) {
            return -1;             // the file ended inside it after all (it shrank while it was read)
        }
    }

    /** Appends {@code e} as one record and syncs it: once this returns the checkpoint survives the daemon. */
    void append(Entry e) throws IOException {
        if (broken) {
            throw new IOException("the checkpoint log " + file + " is damaged; it must be rewritten");
        }
        try {
            channel.position(end);
            records.write(channel, e);
            long t0 = System.nanoTime();
            channel.force(false);
            lastSyncNanos = System.nanoTime() - t0;
            end = channel.position();
        } catch (IOException | RuntimeException failed) {
            // A record cut short would hide every one written after it: the log goes back to its last whole one.
            try {
                channel.truncate(end);
                channel.force(false);
            } catch (IOException undo) {
                broken = true;
                failed.addSuppressed(undo);
            }
            throw failed;
        }
    }

    /** Whether a failed write left the log damaged: only a {@link #rewrite} mends it. */
    boolean broken() {
        return broken;
    }

    /**
     * Whether the log has grown past twice the merged checkpoint's pages (and the slack) and wants a rewrite; after
     * a failed one, not before it has grown by that much again ({@link #backOff}).
     */
    boolean wantsRewrite(long mergedPages) {
        return end > bound(mergedPages) && end >= retryAt;
    }

    /** How long the log may grow for {@code mergedPages} merged pages before it is rewritten. */
    private long bound(long mergedPages) {
        return 2 * (FILE_HEADER + 16 + mergedPages * PAGE_RECORD) + slackBytes;
    }

    /**
     * A rewrite failed: none is tried again before the log has grown by another bound. A disk that refuses one
     * refuses the next too, most likely, and each costs a read of the whole log. Returns that length.
     */
    long backOff(long mergedPages) {
        retryAt = end + bound(mergedPages);
        return retryAt;
    }

    /**
     * Replaces the whole log, durably, with one record: {@code merged}, the checkpoints merged so far. One that fails
     * before the rename leaves the log as it was, open to append, and no temporary file taking the disk.
     */
    void rewrite(Entry merged) throws IOException {
        Path tmp = tmp(file);
        long length;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(header(gfnCount));
                records.write(ch, merged);
                ch.force(true);
                length = ch.position();
            }
            // The old log stays open until the new one is in place: a rename that fails leaves it appendable.
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException failed) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException undo) {
                failed.addSuppressed(undo);
            }
            throw failed;
        }
        // From the rename on, the log is the new file, whatever follows; until it is open only a rewrite mends it.
        broken = true;
        generation++;
        close();
        channel = openForAppend(file);
        end = length;
        broken = false;
        retryAt = 0;
        DurableRename.syncDirectoryOf(file);
    }

    /**
     * A rewrite of the log as one record, done beside it while commits go on being appended: begun under the store's
     * lock ({@link #beginCompaction}), written outside it ({@link #prepare}), put in place under it again
     * ({@link #finish}). Until the rename the old log holds every commit, and from it the new one does — the merged
     * checkpoint, then every record appended meanwhile, copied as it was — so a daemon that dies anywhere in it
     * leaves the newest whole checkpoint on disk; a temporary file left behind goes at the next {@link #recover}.
     */
    final class Compaction {
        private final long generationAtStart = generation;
        /** The records before this make checkpoint {@link #seq}: what is merged. */
        private final long upTo = end;
        private final long seq;
        /** The log as it was: still its records if the file is replaced meanwhile. */
        private final FileChannel source;
        private final Path tmp = compactionTmp(file);
        private FileChannel out;
        /** How much of the old log is in the new one (the merged part stands for all before {@link #upTo}). */
        private long copied;

        private Compaction(long seq) throws IOException {
            this.seq = seq;
            this.source = FileChannel.open(file, StandardOpenOption.READ);
        }

        /** The log's length when it began. */
        long bytesBefore() {
            return upTo;
        }
    }

    /**
     * Begins a compaction of the records so far, which make checkpoint {@code seq}; the caller holds the store's
     * lock, as for an append.
     */
    Compaction beginCompaction(long seq) throws IOException {
        if (broken) {
            throw new IOException("the checkpoint log " + file + " is damaged; it must be rewritten");
        }
        return new Compaction(seq);
    }

    /**
     * Writes the merged checkpoint to the temporary file, synced, and the records appended since it began; without
     * the store's lock (appends go on meanwhile).
     *
     * @throws java.util.concurrent.CancellationException once {@code cancelled} says so
     */
    void prepare(Compaction c, BooleanSupplier cancelled) throws IOException {
        LoggedCheckpoint merged = LoggedCheckpoint.read(c.source, c.upTo, gfnCount, Long.MAX_VALUE, file)
                .orElseThrow(() -> new IOException("the log holds no whole checkpoint before byte " + c.upTo));
        if (merged.seq() != c.seq) {
            throw new IOException("the log's records before byte " + c.upTo + " make checkpoint " + merged.seq()
                    + ", not " + c.seq);
        }
        if (cancelled.getAsBoolean()) {
            throw new java.util.concurrent.CancellationException("the compaction of " + file + " was called off");
        }
        c.out = FileChannel.open(c.tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        c.out.write(header(gfnCount));
        new RecordWriter().write(c.out, new Entry(merged.seq(), merged.guestOps(), merged.unpopulated(),
                merged.vcpus(), merged.pageCount(), write -> merged.forEachPage(c.source, write, cancelled)));
        c.copied = c.upTo;
        copyAppended(c, end);
        c.out.force(true);
    }

    /**
     * Puts the compacted log in place of this one, with the records appended since {@link #prepare}; the caller holds
     * the store's lock. False, and nothing changed, if the log was replaced or damaged meanwhile (the compaction is
     * void: {@link #abandon} it).
     */
    boolean finish(Compaction c) throws IOException {
        if (c.generationAtStart != generation || broken) {
            return false;
        }
        copyAppended(c, end);
        c.out.force(true);
        long length = c.out.position();
        c.out.close();
        c.source.close();
        DurableRename.replace(c.tmp, file);
        // From the rename on, the log is the new file; until it is open only a rewrite mends it (as in rewrite).
        broken = true;
        generation++;
        close();
        channel = openForAppend(file);
        end = length;
        broken = false;
        retryAt = 0;
        return true;
    }

    /** Ends a compaction that failed or is void: the log stays as it is, and the temporary file goes. */
    void abandon(Compaction c) {
        for (FileChannel ch : new FileChannel[] {c.source, c.out}) {
            try {
                if (ch != null) {
                    ch.close();
                }
            } catch (IOException ignored) {
                // only read from, or about to be deleted
            }
        }
        try {
            Files.deleteIfExists(c.tmp);
        } catch (IOException e) {
            System.getLogger(CheckpointLog.class.getName()).log(System.Logger.Level.WARNING,
                    "the temporary file {0} could not be removed: {1}", c.tmp, e.getMessage());
        }
    }

    /** Copies the old log's records from where the compaction got to up to {@code upTo} (whole, synced ones). */
    private static void copyAppended(Compaction c, long upTo) throws IOException {
        while (c.copied < upTo) {
            long n = c.source.transferTo(c.copied, upTo - c.copied, c.out);
            if (n <= 0) {
                throw new IOException("the log ended at byte " + c.copied + ", before " + upTo);
            }
            c.copied += n;
        }
    }

    long lastSyncNanos() {
        return lastSyncNanos;
    }

    /** The log's length on disk, as far as its whole records go. */
    long bytes() {
        return end;
    }

    Path file() {
        return file;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing written is lost by a close that fails: every record was synced when written
        }
    }

    /**
     * Puts records together and writes them out: one for the log's appends, one for each compaction (which writes
     * beside them, on another thread).
     */
    private static final class RecordWriter {
        /** Where records are put together before they are written: reused by every record. */
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);

        /**
         * Writes {@code e} as one record through {@link #buffer} (reused: a commit allocates nothing), the checksum
         * taken over each part of the body as it leaves.
         */
        void write(FileChannel ch, Entry e) throws IOException {
            long[] words = e.unpopulated().toWords();
            ByteBuffer b = buffer.clear();
            CRC32C crc = new CRC32C();
            b.putLong(RECORD_MAGIC).putLong(bodyLength(words.length, e.vcpus(), e.pageCount()));
            crcFrom = b.position();
            long[] head = {e.seq(), e.guestOps()};
            for (long v : head) {
                room(ch, crc, 8);
                b.putLong(v);
            }
            room(ch, crc, 4);
            b.putInt(words.length);
            for (long w : words) {
                room(ch, crc, 8);
                b.putLong(w);
            }
            room(ch, crc, 4);
            b.putInt(e.vcpus().size());
            for (VcpuState v : e.vcpus()) {
                room(ch, crc, 8);
                b.putInt(v.vcpu()).putInt(v.context().length);
                for (int at = 0; at < v.context().length; ) {
                    room(ch, crc, 1);
                    int n = Math.min(b.remaining(), v.context().length - at);
                    b.put(v.context(), at, n);
                    at += n;
                }
            }
            room(ch, crc, 8);
            b.putLong(e.pageCount());
            long[] written = {0};
            IOException[] failed = {null};
            e.pages().forEach((gfn, src) -> {
                if (failed[0] != null) {
                    return;
                }
                try {
                    room(ch, crc, PAGE_RECORD);
                    ByteBuffer page = src.duplicate();
                    page.limit(page.position() + Gfn.PAGE_SIZE);
                    b.putLong(gfn).put(page);
                    written[0]++;
                } catch (IOException x) {
                    failed[0] = x;
                }
            });
            if (failed[0] != null) {
                throw failed[0];
            }
            if (written[0] != e.pageCount()) {
                throw new IOException("checkpoint " + e.seq() + " names " + e.pageCount() + " pages, " + written[0]
                        + " were there to write");
            }
            checksum(crc);
            drain(ch, 8);
            b.putLong(crc.getValue());
            drain(ch, Integer.MAX_VALUE);
            crcFrom = 0;
        }

        /** Where the buffered bytes not yet in the checksum begin (all from there on are body). */
        private int crcFrom;

        /** Makes room for {@code n} more bytes of body, writing out what is buffered (checksummed) if need be. */
        private void room(FileChannel ch, CRC32C crc, int n) throws IOException {
            if (buffer.remaining() < n) {
                checksum(crc);
                drain(ch, Integer.MAX_VALUE);
            }
        }

        /** Takes the body bytes buffered since the last call into the checksum. */
        private void checksum(CRC32C crc) {
            ByteBuffer d = buffer.duplicate().flip();
            d.position(crcFrom);
            crc.update(d);
            crcFrom = buffer.position();
        }

        /** Writes out the buffer if fewer than {@code need} bytes are free in it (all of it for MAX_VALUE). */
        private void drain(FileChannel ch, int need) throws IOException {
            if (buffer.remaining() >= need && need != Integer.MAX_VALUE) {
                return;
            }
            buffer.flip();
            while (buffer.hasRemaining()) {
                ch.write(buffer);
            }
            buffer.clear();
            crcFrom = 0;
        }
    }

    /** The longest body a record of a {@code gfnCount}-gfn guest can have: every page, every vCPU at its largest. */
    static long maxBodyLength(long gfnCount) {
        return bodyLength((int) ((gfnCount + 63) / 64), List.of(), gfnCount)
                + MAX_VCPUS * (8L + VcpuState.MAX_CONTEXT_BYTES);
    }

    private static long bodyLength(int words, List<VcpuState> vcpus, long pages) {
        long n = 8 + 8 + 4 + 8L * words + 4;
        for (VcpuState v : vcpus) {
            n += 8 + v.context().length;
        }
        return n + 8 + pages * PAGE_RECORD;
    }

    private static ByteBuffer header(long gfnCount) {
        return ByteBuffer.allocate(FILE_HEADER).putLong(FILE_MAGIC).putLong(gfnCount).flip();
    }

    private static FileChannel openForAppend(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    private static Path tmp(Path file) {
        return file.resolveSibling(file.getFileName() + ".tmp");
    }

    /** Where a compaction writes the new log: apart from {@link #tmp}, which a rewrite under the lock may use. */
    static Path compactionTmp(Path file) {
        return file.resolveSibling(file.getFileName() + COMPACTION_SUFFIX);
    }

}
