package org.xenpostcopy.migration.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.Checkpoint;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.VcpuState;

/**
 * The committed checkpoints a restarted daemon reads back: the merge of every whole record, as the store that
 * wrote them had merged them; a record cut short or damaged is refused, and appending goes on after the last whole
 * one; the log stays within about twice the merged pages.
 */
class CheckpointLogTest {
    private static final long SPAN = 300;

    @TempDir
    Path dir;

    /** A store that writes its commits to a log, and a model of what it should hold, driven by one seed. */
    private static final class Writer {
        final CheckpointStore store;
        final Random random;
        /** The model: gfn to page, as of the last commit. */
        final Map<Long, byte[]> pages = new TreeMap<>();
        long seq;
        GfnBitmap holes = new GfnBitmap(SPAN);

        /** Compactions run in the committing thread, once its commit has released the store. */
        Writer(Path file, long seed, long slack) throws Exception {
            this(file, seed, slack, Runnable::run);
        }

        Writer(Path file, long seed, long slack, java.util.concurrent.Executor compactions) throws Exception {
            this.random = new Random(seed);
            this.store = new CheckpointStore(SPAN, compactions);
            store.keepIn(file, slack);
        }

        /** Commits a checkpoint of {@code n} random pages, a few gfns given back; returns its seq. */
        long commit(int n) {
            seq++;
            List<Long> gfns = new ArrayList<>();
            while (gfns.size() < n) {
                long g = random.nextInt((int) SPAN);
                if (!gfns.contains(g)) {
                    gfns.add(g);
                }
            }
            ByteBuffer b = ByteBuffer.allocate(n * Gfn.PAGE_SIZE);
            long[] g = new long[n];
            for (int i = 0; i < n; i++) {
                g[i] = gfns.get(i);
                byte[] page = new byte[Gfn.PAGE_SIZE];
                random.nextBytes(page);
                b.put(page);
                pages.put(g[i], page);
            }
            b.flip();
            store.pages(seq, new PageBatch(g, n, b));
            holes = new GfnBitmap(SPAN);
            for (int i = 0; i < 3; i++) {
                long hole = random.nextInt((int) SPAN);
                holes.set(hole);
                pages.remove(hole);
            }
            store.commit(new Checkpoint(seq, List.of(new VcpuState(0, new byte[] {(byte) seq, 7})), holes, n,
                    1000 * seq));
            return seq;
        }

        Map<Long, byte[]> snapshot() {
            Map<Long, byte[]> copy = new TreeMap<>();
            pages.forEach((k, v) -> copy.put(k, v.clone()));
            return copy;
        }
    }

    private static Map<Long, byte[]> restored(CheckpointStore store) {
        Map<Long, byte[]> out = new TreeMap<>();
        store.forEachPage((gfn, page) -> {
            byte[] b = new byte[Gfn.PAGE_SIZE];
            page.duplicate().get(b);
            out.put(gfn, b);
        });
        return out;
    }

    private static void assertSamePages(Map<Long, byte[]> expected, Map<Long, byte[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((g, p) -> assertArrayEquals(p, actual.get(g), "gfn " + g));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void aRestartedDaemonReadsTheMergeOfEveryCommitWithItsHolesAndVcpus(long seed) throws Exception {
        Path file = dir.resolve("s.checkpoints");
        Writer w = new Writer(file, seed, CheckpointLog.DEFAULT_SLACK_BYTES);
        for (int i = 0; i < 6; i++) {
            w.commit(20 + 10 * i);
        }

        CheckpointStore again = CheckpointStore.recover(SPAN, file, "s");
        CheckpointStore.Committed c = again.freeze().orElseThrow();
        assertEquals(6, c.seq());
        assertEquals(6000, c.guestOps());
        assertEquals(w.holes, c.unpopulated());
        assertArrayEquals(new byte[] {6, 7}, c.vcpus().get(0).context());
        assertEquals(w.pages.size(), c.pageCount());
        assertSamePages(w.pages, restored(again));
        assertEquals(0, w.store.rewrites(), "no rewrite below the slack: every commit was an append");
    }

    @Test
    void aRecordCutShortAnywhereIsRefusedAndTheNextCommitGoesAfterTheLastWholeOne() throws Exception {
        Path file = dir.resolve("s.checkpoints");
        Writer w = new Writer(file, 7, CheckpointLog.DEFAULT_SLACK_BYTES);
        w.commit(10);
        w.commit(12);
        Map<Long, byte[]> atTwo = w.snapshot();
        GfnBitmap holesAtTwo = w.holes.copy();
        long wholeTwo = Files.size(file);
        w.commit(15);
        long wholeThree = Files.size(file);
        byte[] full = Files.readAllBytes(file);
        w.store.close();

        // The daemon died while writing record 3: the file ends anywhere inside it.
        for (long cut : new long[] {wholeTwo + 1, wholeTwo + 8, wholeTwo + 16, wholeTwo + 200, wholeThree - 4096,
                wholeThree - 1}) {
            Files.write(file, java.util.Arrays.copyOf(full, (int) cut));
            CheckpointStore again = CheckpointStore.recover(SPAN, file, "s");
            assertEquals(wholeTwo, Files.size(file), "cut at " + cut + ": the torn record is cut off the log");
            assertSamePages(atTwo, restored(frozen(again, 2, holesAtTwo)));
            again.close();
        }

        // After recovery the log goes on: commit 4, whole, is read back over commit 2.
        CheckpointStore again = CheckpointStore.recover(SPAN, file, "s");
        again.pages(4, pagesOf(Map.of(5L, (byte) 0x44)));
        again.commit(new Checkpoint(4, List.of(new VcpuState(0, new byte[] {4})), new GfnBitmap(SPAN), 1, 4000));
        again.close();
        atTwo.put(5L, filled((byte) 0x44));
        assertSamePages(atTwo, restored(frozen(CheckpointStore.recover(SPAN, file, "s"), 4, new GfnBitmap(SPAN))));
    }

    @Test
    void aRecordDamagedInsideIsRefusedByItsChecksum() throws Exception {
        TwoRecords log = twoRecords(8);
        damageByteAt(log.file(), Files.size(log.file()) - 100);       // inside the last page of record 2
        log.assertRecoveredToTheFirst();
    }

    /**
     * A record damaged with whole ones after it (the disk's doing: only the last can be torn by a dying daemon)
     * lost checkpoints the destination counts as committed, and its next checkpoint amends the newest of them: the
     * store fails back to the last whole one before the damage, but takes no checkpoint on top of it, and the log is
     * left as it is.
     */
    @ParameterizedTest(name = "{0} pages a record")
    @ValueSource(ints = {10, 300})      // 300: the next record starts past the first MiB searched
    void aRecordDamagedBeforeWholeOnesStopsCheckpointsButStillFailsBackToTheLastWholeOneBeforeIt(int pages)
            throws Exception {
        Path file = dir.resolve("s.checkpoints");
        Writer w = new Writer(file, 13, CheckpointLog.DEFAULT_SLACK_BYTES);
        w.commit(pages);
        Map<Long, byte[]> atOne = w.snapshot();
        GfnBitmap holesAtOne = w.holes.copy();
        w.commit(pages);
        long wholeTwo = Files.size(file);
        w.commit(pages);
        w.store.close();
        long size = Files.size(file);
        damageByteAt(file, wholeTwo - 100);       // inside the last page of record 2
        CheckpointStore again = CheckpointStore.recover(SPAN, file, "s");
        PeerException e = assertThrows(PeerException.class, () -> again.pages(4, pagesOf(Map.of(1L, (byte) 1))));
        assertEquals(RemoteError.WRONG_STATE, e.error());
        assertSamePages(atOne, restored(frozen(again, 1, holesAtOne)));
        assertEquals(size, Files.size(file), "the damaged log is left as it is");
    }

    /**
     * A length inside the last record damaged so that it reads past the end of the file: that record is refused, as
     * any damaged one, and the ones before it are recovered (it once failed the whole log, every checkpoint lost).
     */
    @Test
    void aLengthInsideTheLastRecordThatRunsPastTheFileRefusesOnlyThatRecord() throws Exception {
        TwoRecords log = twoRecords(11);
        long wholeOne = log.wholeOne();
        long contextLength = contextLengthOf(wholeOne);
        try (RandomAccessFile f = new RandomAccessFile(log.file().toFile(), "rw")) {
            f.seek(wholeOne + 8);
            long bodyLength = f.readLong();
            f.seek(contextLength);
            assertEquals(2, f.readInt(), "the layout this test damages");
            f.seek(contextLength);
            f.writeInt((int) bodyLength);     // no longer than the body, but it starts well inside it
        }
        log.assertRecoveredToTheFirst();
    }

    /**
     * A context length damaged to 256 MiB, in a record whose length (damaged too) the file is long enough for: the
     * record is refused as any damaged one, before that much is allocated — it once was, up to 2 GiB, before the
     * checksum could refuse it. The file is long by a sparse tail, as a log of a large guest would be.
     */
    @Test
    void aDamagedContextLengthIsRefusedBeforeItIsAllocated() throws Exception {
        TwoRecords log = twoRecords(12);
        long wholeOne = log.wholeOne();
        int damagedLength = 256 << 20;
        long contextLength = contextLengthOf(wholeOne);
        try (RandomAccessFile f = new RandomAccessFile(log.file().toFile(), "rw")) {
            f.setLength(wholeOne + damagedLength + (16 << 20));     // sparse: takes no disk
            f.seek(wholeOne + 8);
            f.writeLong(damagedLength + (8L << 20));
            f.seek(contextLength);
            assertEquals(2, f.readInt(), "the layout this test damages");
            f.seek(contextLength);
            f.writeInt(damagedLength);
        }
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        CheckpointStore again = CheckpointStore.recover(SPAN, log.file(), "s");
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < damagedLength / 4, "recovery allocated " + allocated + " bytes");
        log.assertHoldsTheFirstOnly(again);
    }

    /** A closed log of two records of 10 pages: what the first one held, and where it ends. */
    private record TwoRecords(Path file, Map<Long, byte[]> atOne, GfnBitmap holesAtOne, long wholeOne) {
        /** Recovery, the second record damaged, restores the first. */
        void assertRecoveredToTheFirst() throws Exception {
            assertHoldsTheFirstOnly(CheckpointStore.recover(SPAN, file, "s"));
        }

        /** {@code recovered} holds the first record, and the damaged second and what follows it are cut off. */
        void assertHoldsTheFirstOnly(CheckpointStore recovered) throws IOException {
            assertSamePages(atOne, restored(frozen(recovered, 1, holesAtOne)));
            assertEquals(wholeOne, Files.size(file), "the damaged record and what follows it are cut off");
        }
    }

    private TwoRecords twoRecords(long seed) throws Exception {
        Path file = dir.resolve("s.checkpoints");
        Writer w = new Writer(file, seed, CheckpointLog.DEFAULT_SLACK_BYTES);
        w.commit(10);
        Map<Long, byte[]> atOne = w.snapshot();
        GfnBitmap holesAtOne = w.holes.copy();
        long wholeOne = Files.size(file);
        w.commit(10);
        w.store.close();
        return new TwoRecords(file, atOne, holesAtOne, wholeOne);
    }

    /**
     * Where the length of vCPU 0's context lies in the record that starts at {@code record}: past its header, seq,
     * ops, the word count and the hole map's words, the vCPU count and vCPU 0's id.
     */
    private static long contextLengthOf(long record) {
        return record + 16 + 8 + 8 + 4 + 8 * ((SPAN + 63) / 64) + 4 + 4;
    }

    /** Flips bits of the byte at {@code at}, as a disk's damage would. */
    private static void damageByteAt(Path file, long at) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x5a);
        }
    }

    @Test
    void theLogIsRewrittenAsTheMergedPagesOnceItOutgrowsTwiceThem() throws Exception {
        Path file = dir.resolve("s.checkpoints");
        Writer w = new Writer(file, 9, 0);
        long mostBytes = 0;
        for (int i = 0; i < 40; i++) {
            w.commit(30);
            mostBytes = Math.max(mostBytes, Files.size(file));
        }
        assertTrue(w.store.rewrites() > 0, "never rewritten");
        long merged = w.pages.size() * (8L + Gfn.PAGE_SIZE);
        // twice the merged pages, plus the commit that crossed the line and the headers
        assertTrue(mostBytes <= 2 * merged + 31 * (8L + Gfn.PAGE_SIZE) + 4096,
                "the log grew to " + mostBytes + " bytes for " + merged + " bytes of pages");
        assertFalse(Files.exists(file.resolveSibling(file.getFileName() + ".tmp")));
        assertSamePages(w.pages, restored(frozen(CheckpointStore.recover(SPAN, file, "s"), 40, w.holes)));
    }

    /**
     * A rewrite whose record fails half written (disk full, say) leaves no temporary file holding the disk, and the
     * log as it was: the next commit appends to it.
     */
    @Test
    void aRewriteThatFailsWritingLeavesNoTemporaryFileAndTheLogAppendable() throws Exception {
        Path file = dir.resolve("s.checkpoints");
        try (CheckpointLog log = CheckpointLog.create(file, SPAN)) {
            log.append(entry(1, Map.of(1L, (byte) 1)));
            // names two pages, has one: the write fails after the header and a page went to the temporary file
            CheckpointLog.Entry shortOfAPage = new CheckpointLog.Entry(2, 0, new GfnBitmap(SPAN),
                    List.of(new VcpuState(0, new byte[] {2})), 2, pages(Map.of(2L, (byte) 2)));
            assertThrows(java.io.IOException.class, () -> log.rewrite(shortOfAPage));
            assertFalse(Files.exists(file.resolveSibling(file.getFileName() + ".tmp")), "the temporary file is left");
            assertFalse(log.broken());
            log.append(entry(3, Map.of(3L, (byte) 3)));
        }
        assertEquals(List.of(1L, 3L), committedSeqs(file));
    }

    /** A rewrite whose rename fails leaves the old log open: the next commit appends to it, not to a closed file. */
    @Test
    void aRewriteWhoseRenameFailsLeavesTheOldLogAppendable() throws Exception {
        Path file = dir.resolve("s.checkpoints");
        Path oldLog = dir.resolve("old.checkpoints");
        try (CheckpointLog log = CheckpointLog.create(file, SPAN)) {
            log.append(entry(1, Map.of(1L, (byte) 1)));
            // The old log stays reachable by a second name; a non-empty directory where it was makes the rename fail.
            Files.createLink(oldLog, file);
            Files.delete(file);
            Files.createDirectories(file.resolve("in-the-way"));
            assertThrows(java.io.IOException.class, () -> log.rewrite(entry(2, Map.of(2L, (byte) 2))));
            assertFalse(Files.exists(file.resolveSibling(file.getFileName() + ".tmp")), "the temporary file is left");
            log.append(entry(3, Map.of(3L, (byte) 3)));
        }
        assertEquals(List.of(1L, 3L), committedSeqs(oldLog));
    }

    /**
     * A commit that takes the log past its bound is acknowledged without waiting for the compaction it makes due
     * (it used to rewrite the whole log first, under the store's lock); commits go on being appended meanwhile, and
     * the compacted log holds them too.
     */
    @Test
    void aCommitIsAcknowledgedBeforeTheLogIsCompactedAndTheCommitsMeanwhileAreKeptToo() throws Exception {
        Path file = dir.resolve("s.checkpoints");
        java.util.ArrayDeque<Runnable> queued = new java.util.ArrayDeque<>();
        Writer w = new Writer(file, 21, 0, queued::add);
        long appended = Files.size(file);
        while (queued.isEmpty()) {
            w.commit(30);
            assertTrue(Files.size(file) > appended, "commit " + w.seq + " was not appended");
            appended = Files.size(file);
        }
        assertEquals(0, w.store.rewrites(), "the commit did not wait for the compaction");
        for (int i = 0; i < 3; i++) {
            w.commit(30);
        }
        assertEquals(1, queued.size(), "one compaction at a time");
        assertTrue(Files.size(file) > appended);
        long beforeCompaction = Files.size(file);

        queued.remove().run();

        assertEquals(1, w.store.rewrites());
        assertTrue(Files.size(file) < beforeCompaction, Files.size(file) + " bytes, was " + beforeCompaction);
        assertFalse(Files.exists(CheckpointLog.compactionTmp(file)));
        w.commit(30);                       // appends go on to the compacted log
        w.store.close();
        assertSamePages(w.pages, restored(frozen(CheckpointStore.recover(SPAN, file, "s"), w.seq, w.holes)));
    }

    /** Compactions on threads of their own while commits go on: however they interleave, nothing is lost. */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {31, 32})
    void compactionsBesideCommitsLoseNothing(long seed) throws Exception {
        Path file = dir.resolve("s.checkpoints");
        List<Thread> threads = java.util.Collections.synchronizedList(new ArrayList<>());
        Writer w = new Writer(file, seed, 0, task -> {
            Thread t = new Thread(task, "compaction");
            threads.add(t);
            t.start();
        });
        for (int i = 0; i < 120; i++) {
            w.commit(20);
        }
        for (Thread t : List.copyOf(threads)) {
            t.join(60_000);
            assertFalse(t.isAlive(), "a compaction did not end");
        }
        assertTrue(w.store.rewrites() > 0, "never compacted");
        assertEquals(0, w.store.compactionsFailed());
        w.store.close();
        assertSamePages(w.pages, restored(frozen(CheckpointStore.recover(SPAN, file, "s"), w.seq, w.holes)));
    }

    /**
     * A daemon that dies anywhere in a compaction leaves the newest whole checkpoint on disk: before the rename the
     * old log (with the records appended meanwhile), after it the new one; the temporary file goes at recovery.
     */
    @Test
    void aDaemonThatDiesAnywhereInACompactionLeavesTheNewestWholeCheckpoint() throws Exception {
        Path file = dir.resolve("s.checkpoints");
        Path crashed = dir.resolve("crashed");
        Files.createDirectories(crashed);
        Path copy = crashed.resolve("s.checkpoints");
        try (CheckpointLog log = CheckpointLog.create(file, SPAN, 0)) {
            log.append(entry(1, Map.of(1L, (byte) 1, 2L, (byte) 1)));
            log.append(entry(2, Map.of(2L, (byte) 2)));
            CheckpointLog.Compaction c = log.beginCompaction(2);
            log.append(entry(3, Map.of(3L, (byte) 3)));          // after it began
            assertNewest(file, copy, 3, Map.of(1L, (byte) 1, 2L, (byte) 2, 3L, (byte) 3));
            log.prepare(c, () -> false);
            assertTrue(Files.exists(CheckpointLog.compactionTmp(file)));
            // dead here: the temporary file is whole, the log is as it was
            Files.copy(CheckpointLog.compactionTmp(file), CheckpointLog.compactionTmp(copy));
            assertNewest(file, copy, 3, Map.of(1L, (byte) 1, 2L, (byte) 2, 3L, (byte) 3));
            assertFalse(Files.exists(CheckpointLog.compactionTmp(copy)), "recovery removes the temporary file");
            log.append(entry(4, Map.of(1L, (byte) 4)));          // after it was written
            long before = Files.size(file);
            assertTrue(log.finish(c));
            assertTrue(Files.size(file) < before);
            assertEquals(List.of(2L, 3L, 4L), committedSeqs(file), "the merged record, then the ones appended since");
            assertNewest(file, copy, 4, Map.of(1L, (byte) 4, 2L, (byte) 2, 3L, (byte) 3));
            log.append(entry(5, Map.of(5L, (byte) 5)));
        }
        assertNewest(file, copy, 5, Map.of(1L, (byte) 4, 2L, (byte) 2, 3L, (byte) 3, 5L, (byte) 5));
    }

    /** A compaction begun before the log was rewritten whole (mended under the lock) is void: it changes nothing. */
    @Test
    void aCompactionBegunBeforeTheLogWasRewrittenIsVoid() throws Exception {
        Path file = dir.resolve("s.checkpoints");
        try (CheckpointLog log = CheckpointLog.create(file, SPAN, 0)) {
            log.append(entry(1, Map.of(1L, (byte) 1)));
            CheckpointLog.Compaction c = log.beginCompaction(1);
            log.prepare(c, () -> false);
            log.rewrite(entry(2, Map.of(2L, (byte) 2)));
            assertFalse(log.finish(c));
            log.abandon(c);
            assertFalse(Files.exists(CheckpointLog.compactionTmp(file)));
        }
        assertEquals(List.of(2L), committedSeqs(file));
    }

    /**
     * A disk that refuses the compaction: it is not tried again at every commit (each reads the whole log) but once
     * the log has grown by another bound, and it is logged once, as a warning; once the disk takes it again the log
     * is compacted, and that is logged too.
     */
    @Test
    void aCompactionTheDiskRefusesIsTriedAgainOnlyAfterTheLogHasGrownByAnotherBoundAndLoggedOnce() throws Exception {
        Path file = dir.resolve("s.checkpoints");
        List<java.util.logging.LogRecord> logged = new ArrayList<>();
        java.util.logging.Logger storeLog = java.util.logging.Logger.getLogger(CheckpointStore.class.getName());
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                synchronized (logged) {
                    logged.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        storeLog.addHandler(capture);
        try {
            long slack = 64 * (8 + Gfn.PAGE_SIZE);
            Writer w = new Writer(file, 41, slack);
            // Where the new log would be written, a directory with something in it: the disk "refuses" the rewrite.
            for (Path refused : new Path[] {CheckpointLog.compactionTmp(file),
                    file.resolveSibling(file.getFileName() + ".tmp")}) {
                Files.createDirectories(refused.resolve("in-the-way"));
            }
            while (w.store.compactionsFailed() == 0) {
                w.commit(20);
            }
            long failedAt = Files.size(file);
            // the bound: twice the merged pages with the headers, and the slack
            long bound = 2 * (16 + 16 + w.pages.size() * (8L + Gfn.PAGE_SIZE)) + slack;
            int commitsBeforeRetry = 0;
            while (w.store.compactionsFailed() == 1) {
                w.commit(20);
                commitsBeforeRetry++;
            }
            long retriedAt = Files.size(file);
            assertTrue(retriedAt - failedAt >= bound, "tried again after " + (retriedAt - failedAt) + " bytes, not "
                    + bound);
            assertTrue(commitsBeforeRetry > 5, "tried again after " + commitsBeforeRetry + " commits");
            assertEquals(0, w.store.rewrites());
            assertEquals(1, warnings(logged), "a run of failures is logged once as a warning");

            for (Path refused : new Path[] {CheckpointLog.compactionTmp(file),
                    file.resolveSibling(file.getFileName() + ".tmp")}) {
                Files.delete(refused.resolve("in-the-way"));
                Files.delete(refused);
            }
            while (w.store.rewrites() == 0) {
                w.commit(20);
            }
            assertEquals(2, w.store.compactionsFailed());
            assertEquals(1, warnings(logged));
            synchronized (logged) {
                assertTrue(logged.stream().anyMatch(r -> r.getLevel() == java.util.logging.Level.INFO
                        && r.getMessage().contains("compacted again")), "the recovery is logged");
            }
            w.store.close();
            assertSamePages(w.pages, restored(frozen(CheckpointStore.recover(SPAN, file, "s"), w.seq, w.holes)));
        } finally {
            storeLog.removeHandler(capture);
        }
    }

    private static long warnings(List<java.util.logging.LogRecord> logged) {
        synchronized (logged) {
            return logged.stream().filter(r -> r.getLevel() == java.util.logging.Level.WARNING).count();
        }
    }

    /** A copy of {@code file}, as a daemon dead now leaves it, recovers checkpoint {@code seq} with these pages. */
    private static void assertNewest(Path file, Path copy, long seq, Map<Long, Byte> fills) throws Exception {
        Files.copy(file, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        CheckpointStore again = CheckpointStore.recover(SPAN, copy, "s");
        Map<Long, byte[]> expected = new TreeMap<>();
        fills.forEach((g, b) -> expected.put(g, filled(b)));
        assertSamePages(expected, restored(frozen(again, seq, new GfnBitmap(SPAN))));
        again.close();
    }

    private static CheckpointLog.Entry entry(long seq, Map<Long, Byte> fills) {
        return new CheckpointLog.Entry(seq, seq, new GfnBitmap(SPAN), List.of(new VcpuState(0, new byte[] {7})),
                fills.size(), pages(fills));
    }

    private static CheckpointLog.Pages pages(Map<Long, Byte> fills) {
        return write -> new TreeMap<>(fills).forEach((g, b) -> write.write(g, ByteBuffer.wrap(filled(b))));
    }

    private static List<Long> committedSeqs(Path file) throws Exception {
        List<Long> seqs = new ArrayList<>();
        CheckpointLog.read(file, SPAN, new CheckpointLog.Replay() {
            @Override
            public void page(long seq, long gfn, ByteBuffer page) {
            }

            @Override
            public void commit(long seq, long guestOps, GfnBitmap unpopulated, List<VcpuState> vcpus, long pageCount) {
                seqs.add(seq);
            }
        });
        return seqs;
    }

    @Test
    void withoutItsLogARestartedDaemonTakesNoCheckpointAndFailsBackToTheSwitch() {
        CheckpointStore again = CheckpointStore.recover(SPAN, dir.resolve("missing.checkpoints"), "s");
        PeerException e = assertThrows(PeerException.class, () -> again.pages(5, pagesOf(Map.of(1L, (byte) 1))));
        assertEquals(RemoteError.WRONG_STATE, e.error());
        assertTrue(again.freeze().isEmpty());
    }

    @Test
    void aCheckpointNotNewerThanTheRecoveredOneIsRefused() throws Exception {
        Path file = dir.resolve("s.checkpoints");
        Writer w = new Writer(file, 10, CheckpointLog.DEFAULT_SLACK_BYTES);
        w.commit(5);
        w.commit(5);
        w.store.close();
        CheckpointStore again = CheckpointStore.recover(SPAN, file, "s");
        PeerException e = assertThrows(PeerException.class, () -> again.pages(2, pagesOf(Map.of(1L, (byte) 1))));
        assertEquals(RemoteError.WRONG_STATE, e.error());
        again.pages(3, pagesOf(Map.of(1L, (byte) 1)));
    }

    private static CheckpointStore frozen(CheckpointStore s, long seq, GfnBitmap holes) {
        CheckpointStore.Committed c = s.freeze().orElseThrow();
        assertEquals(seq, c.seq());
        assertEquals(holes, c.unpopulated());
        return s;
    }

    private static byte[] filled(byte b) {
        byte[] p = new byte[Gfn.PAGE_SIZE];
        java.util.Arrays.fill(p, b);
        return p;
    }

    private static PageBatch pagesOf(Map<Long, Byte> fills) {
        long[] g = new long[fills.size()];
        ByteBuffer b = ByteBuffer.allocate(fills.size() * Gfn.PAGE_SIZE);
        int i = 0;
        for (Map.Entry<Long, Byte> e : new TreeMap<>(fills).entrySet()) {
            g[i++] = e.getKey();
            b.put(filled(e.getValue()));
        }
        b.flip();
        return new PageBatch(g, g.length, b);
    }
}
