package org.xenpostcopy.migration.source;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Executor;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.Checkpoint;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.VcpuState;

/**
 * The reverse checkpoints of one outgoing post-copy, kept apart from the paused copy they amend (which must keep
 * serving the pages the destination still lacks, as they were at the switch). Pages of the checkpoint under way
 * are staged; a commit that names exactly as many pages as were staged merges them over the pages of all earlier
 * checkpoints, and from then on a fail-back restores that instant. A checkpoint cut short is never half applied.
 *
 * <p>With a {@link CheckpointLog} each commit is also on disk before it is acknowledged, and a restarted daemon
 * {@link #recover recovers} the newest one: the destination's next checkpoint only carries what changed since the
 * last one it saw acknowledged, so a source that forgot it would build the next on the wrong base. The log is
 * compacted beside the commits, never in one ({@link #compact}): a commit waits for its own record only.
 */
final class CheckpointStore {
    private static final Logger LOG = System.getLogger(CheckpointStore.class.getName());
    private final long gfnCount;
    private long stagingSeq;
    private final PageSlots staging;
    /** Every page changed at the destination as of the last commit: the newest copy of each. */
    private final PageSlots overlay;
    private Committed latest;
    private long pagesReceived;
    private long bytesReceived;
    private long commits;
    /** Set when a fail-back begins: what is committed then is what is restored. */
    private boolean frozen;
    /** Where each commit is kept before it is acknowledged; null: in memory only (no journal). */
    private CheckpointLog log;
    /** Why no checkpoint is taken at all (a restarted daemon that cannot trust its log), or null. */
    private String refusing;
    private long rewrites;
    /** Where compactions of the log run: off the commit's thread and its lock. */
    private final Executor compactions;
    /** A compaction is queued or running: one at a time. */
    private boolean compacting;
    /** A compaction has begun writing: {@link #close} waits for it to stop. */
    private boolean compactionRunning;
    private boolean closed;
    private long compactionsFailed;
    /** Compactions failed since the last one that did not: only the first of a run is logged as a warning. */
    private long failedInARow;

    /** Each compaction on a thread of its own, which ends with it (they are rare: one per bound the log outgrows). */
    static final Executor OWN_THREAD = task -> {
        Thread t = new Thread(task, "checkpoint-log-compaction");
        t.setDaemon(true);
        t.start();
    };

    /**
     * The newest whole checkpoint: the source's copy plus {@code pages} is the guest at that instant.
     *
     * @param committedAt {@code System.nanoTime()} at its commit here
     */
    record Committed(long seq, List<VcpuState> vcpus, GfnBitmap unpopulated, long pageCount, long guestOps,
                     long committedAt) {
    }

    CheckpointStore(long gfnCount) {
        this(gfnCount, OWN_THREAD);
    }

    /** A store whose log is compacted by tasks given to {@code compactions}. */
    CheckpointStore(long gfnCount, Executor compactions) {
        this.compactions = compactions;
        this.gfnCount = gfnCount;
        this.staging = new PageSlots(gfnCount);
        this.overlay = new PageSlots(gfnCount);
    }

    /** Keeps every commit from now on in a new log in {@code file} too (before the session's first checkpoint). */
    synchronized void keepIn(Path file) throws IOException {
        keepIn(file, CheckpointLog.DEFAULT_SLACK_BYTES);
    }

    /** As {@link #keepIn(Path)}, the log rewritten once past twice the merged pages and {@code slackBytes}. */
    synchronized void keepIn(Path file, long slackBytes) throws IOException {
        log = CheckpointLog.create(file, gfnCount, slackBytes);
    }

    /**
     * The checkpoints a previous daemon kept in {@code file}, the newest whole one committed, and every later commit
     * kept there too. A log that is missing or unreadable is not guessed at: the store then takes no checkpoint
     * (the destination's next would amend one this daemon does not have) and a fail-back restores the switch.
     */
    static CheckpointStore recover(long gfnCount, Path file, String session) {
        CheckpointStore store = new CheckpointStore(gfnCount);
        synchronized (store) {
            try {
                long t0 = System.nanoTime();
                store.log = CheckpointLog.recover(file, gfnCount, store.replay());
                store.staging.clear();
                store.stagingSeq = store.latest == null ? 0 : store.latest.seq();
                store.pagesReceived = 0;
                store.bytesReceived = 0;
                if (store.log.lostRecords() != null) {
                    // Still a fail-back to the newest whole one, which the guest did pass through; but the
                    // destination's next checkpoint amends a later one, and merged over this one would restore a
                    // guest that never was.
                    store.refusing = "checkpoints acknowledged to the destination were lost from the log ("
                            + store.log.lostRecords() + ")";
                    LOG.log(Level.ERROR, "session {0}: {1}; no more checkpoints are taken, and a fail-back restores"
                            + " checkpoint {2}", session, store.refusing,
                            store.latest == null ? 0 : store.latest.seq());
                }
                LOG.log(Level.INFO, "session {0}: {1} from its log ({2} bytes) in {3} ms", session,
                        store.latest == null ? "no checkpoint had been committed" : "checkpoint " + store.latest.seq()
                                + " (" + store.latest.pageCount() + " pages) recovered", store.log.bytes(),
                        String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e6));
            } catch (IOException | RuntimeException e) {
                store = new CheckpointStore(gfnCount);
                store.refusing = "the checkpoints of this session could not be recovered after a daemon restart ("
                        + e.getMessage() + ")";
                LOG.log(Level.ERROR, "session {0}: {1}; no checkpoints are taken, and a fail-back restores the guest"
                        + " as it was at the switch", session, store.refusing);
            }
        }
        return store;
    }

    /** Reads a log's records into this store as the commits they were. */
    private CheckpointLog.Replay replay() {
        return new CheckpointLog.Replay() {
            @Override
            public void page(long seq, long gfn, ByteBuffer page) {
                if (seq != stagingSeq) {
                    stagingSeq = seq;
                    staging.clear();
                }
                staging.put(gfn, page.duplicate());
            }

            @Override
            public void commit(long seq, long guestOps, GfnBitmap unpopulated, List<VcpuState> vcpus, long pages) {
                if (seq != stagingSeq) {
                    stagingSeq = seq;
                    staging.clear();
                }
                merge(new Checkpoint(seq, vcpus, unpopulated, pages, guestOps));
            }
        };
    }

    /** Stages pages of checkpoint {@code seq}; a newer seq drops what was staged for an older one. */
    synchronized void pages(long seq, PageBatch batch) {
        refuseIfFrozen(seq);
        refuseIfRefusing(seq);
        if (seq <= (latest == null ? 0 : latest.seq()) || seq < stagingSeq) {
            throw new PeerException(RemoteError.WRONG_STATE, "checkpoint " + seq + " is older than the one under way ("
                    + Math.max(stagingSeq, latest == null ? 0 : latest.seq()) + ")");
        }
        if (seq > stagingSeq) {
            stagingSeq = seq;
            staging.clear();
        }
        for (int i = 0; i < batch.count(); i++) {
            if (batch.gfns()[i] < 0 || batch.gfns()[i] >= gfnCount) {
                throw PeerException.badRequest(String.format("checkpoint gfn 0x%x is outside the domain's 0..0x%x",
                        batch.gfns()[i], gfnCount - 1));
            }
        }
        ByteBuffer src = batch.pages().duplicate();
        for (int i = 0; i < batch.count(); i++) {
            staging.put(batch.gfns()[i], src);
        }
        pagesReceived += batch.count();
        bytesReceived += (long) batch.count() * (Gfn.PAGE_SIZE + 8);
    }

    /**
     * Commits checkpoint {@code c.seq()} if every one of its pages is staged. A compaction it makes due is handed to
     * the executor after the lock is released: it never delays this commit's acknowledgement nor the next one.
     */
    void commit(Checkpoint c) {
        Runnable compaction;
        synchronized (this) {
            commitLocked(c);
            compaction = compactionDue();
        }
        if (compaction != null) {
            compactions.execute(compaction);
        }
    }

    private void commitLocked(Checkpoint c) {
        refuseIfFrozen(c.seq());
        refuseIfRefusing(c.seq());
        long staged = c.seq() == stagingSeq ? staging.size() : 0;
        if (c.seq() <= (latest == null ? 0 : latest.seq()) || staged != c.pageCount()) {
            throw new PeerException(RemoteError.WRONG_STATE, "checkpoint " + c.seq() + " names " + c.pageCount()
                    + " pages and " + staged + " are staged for it: not committed");
        }
        if (c.unpopulated().size() != gfnCount || c.vcpus().isEmpty()) {
            throw PeerException.badRequest("checkpoint " + c.seq() + " lacks vCPU state or a hole map of "
                    + gfnCount + " gfns");
        }
        // On disk first: a commit is acknowledged only once it would survive this daemon. One that cannot be kept
        // is refused; its pages stay owed at the destination and go with its next checkpoint.
        keep(c);
        merge(c);
    }

    /** Appends {@code c}'s staged pages to the log, if there is one. */
    private void keep(Checkpoint c) {
        if (log == null) {
            return;
        }
        long t0 = System.nanoTime();
        try {
            if (log.broken()) {
                rewriteWith(c);
            } else {
                log.append(new CheckpointLog.Entry(c.seq(), c.guestOps(), c.unpopulated(), c.vcpus(), staging.size(),
                        staging::forEach));
            }
        } catch (IOException | RuntimeException e) {
            throw new PeerException(RemoteError.HOST_ERROR, "checkpoint " + c.seq() + " could not be kept on the"
                    + " source's disk (" + e.getMessage() + "): not committed");
        }
        LOG.log(Level.DEBUG, "checkpoint {0}: {1} pages kept on disk in {2} ms (the sync {3} ms)", c.seq(),
                staging.size(), String.format(Locale.ROOT, "%.2f", (System.nanoTime() - t0) / 1e6),
                String.format(Locale.ROOT, "%.2f", log.lastSyncNanos() / 1e6));
    }

    /** A damaged log is replaced by one record: the commits so far with {@code c} merged over them. */
    private void rewriteWith(Checkpoint c) throws IOException {
        GfnBitmap holes = c.unpopulated();
        long[] n = {0};
        CheckpointLog.Pages merged = write -> {
            overlay.forEach((g, p) -> {
                if (!staging.contains(g) && !holes.get(g)) {
                    write.write(g, p);
                }
            });
            staging.forEach((g, p) -> {
                if (!holes.get(g)) {
                    write.write(g, p);
                }
            });
        };
        merged.forEach((g, p) -> n[0]++);
        log.rewrite(new CheckpointLog.Entry(c.seq(), c.guestOps(), holes, c.vcpus(), n[0], merged));
        rewrites++;
    }

    /** Merges the staged pages of {@code c} over the commits before it. */
    private void merge(Checkpoint c) {
        overlay.putAll(staging);
        // A page the guest gave back since an earlier checkpoint is a hole now: its old contents must not return.
        for (long g = c.unpopulated().nextSet(0); g >= 0; g = c.unpopulated().nextSet(g + 1)) {
            overlay.remove(g);
        }
        staging.clear();
        commits++;
        latest = new Committed(c.seq(), c.vcpus(), c.unpopulated(), overlay.size(), c.guestOps(), System.nanoTime());
    }

    /**
     * A compaction of the log, if it has outgrown its bound and none is under way: begun here, under the lock (where
     * the records so far end, and the checkpoint they make), to be run by {@link #compact} without it.
     */
    private Runnable compactionDue() {
        if (log == null || compacting || frozen || refusing != null || latest == null
                || !log.wantsRewrite(overlay.size())) {
            return null;
        }
        CheckpointLog l = log;
        CheckpointLog.Compaction c;
        try {
            c = l.beginCompaction(latest.seq());
        } catch (IOException e) {
            compactionFailed(l, e);
            return null;
        }
        compacting = true;
        return () -> compact(l, c);
    }

    /**
     * Rewrites the log as the one merged checkpoint, beside the commits that go on: the merged record is written
     * without the lock, and only the records appended meanwhile are copied, and the file renamed, under it. A failure
     * leaves the old log, whole, in place; a session that ends or fails back meanwhile calls it off.
     */
    private void compact(CheckpointLog l, CheckpointLog.Compaction c) {
        long t0 = System.nanoTime();
        synchronized (this) {
            if (closed || frozen || log != l) {
                compacting = false;
                l.abandon(c);
                notifyAll();
                return;
            }
            compactionRunning = true;
        }
        try {
            l.prepare(c, this::callingOffCompaction);
            synchronized (this) {
                if (closed || frozen || log != l || !l.finish(c)) {
                    l.abandon(c);
                    return;
                }
                rewrites++;
                if (failedInARow > 0) {
                    LOG.log(Level.INFO, "the checkpoint log {0} is compacted again ({1} bytes) after {2} failed"
                            + " attempts", l.file(), l.bytes(), failedInARow);
                }
                failedInARow = 0;
                LOG.log(Level.DEBUG, "the checkpoint log {0} compacted beside the commits: {1} bytes, was {2}, in"
                        + " {3} ms", l.file(), l.bytes(), c.bytesBefore(),
                        String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e6));
            }
        } catch (CancellationException calledOff) {
            l.abandon(c);
        } catch (IOException | RuntimeException e) {
            l.abandon(c);
            synchronized (this) {
                if (!closed && log == l) {
                    compactionFailed(l, e);
                }
            }
        } finally {
            synchronized (this) {
                compacting = false;
                compactionRunning = false;
                notifyAll();
            }
        }
    }

    private synchronized boolean callingOffCompaction() {
        return closed || frozen;
    }

    /**
     * A compaction failed: the log, whole, keeps growing, and none is tried again before it has grown by another
     * bound (a disk that refuses one refuses the next, and each reads the whole log). Logged once for a run of them.
     */
    private void compactionFailed(CheckpointLog l, Exception e) {
        compactionsFailed++;
        failedInARow++;
        long retryAt = l.backOff(overlay.size());
        if (failedInARow == 1) {
            LOG.log(Level.WARNING, "the checkpoint log {0} could not be compacted ({1}); it keeps every checkpoint"
                    + " and grows past its bound, and compacting is tried again once it reaches {2} bytes (then"
                    + " after each such growth, unlogged, until one succeeds)", l.file(), e.getMessage(), retryAt);
        } else {
            LOG.log(Level.DEBUG, "the checkpoint log {0} could not be compacted again ({1}, {2} in a row); next"
                    + " at {3} bytes", l.file(), e.getMessage(), failedInARow, retryAt);
        }
    }

    /** Compactions of the log that failed (each is followed by a back-off). */
    synchronized long compactionsFailed() {
        return compactionsFailed;
    }

    private void refuseIfRefusing(long seq) {
        if (refusing != null) {
            throw new PeerException(RemoteError.WRONG_STATE, "checkpoint " + seq + " refused: " + refusing);
        }
    }

    /**
     * The session is over: the log is closed (the journal deletes it); a late commit is refused. A compaction under
     * way is called off and waited for, so it writes nothing once this returns (the journal may delete its files).
     */
    synchronized void close() {
        closed = true;
        if (log != null) {
            log.close();
            log = null;
            refusing = "the session is over";
        }
        boolean interrupted = false;
        while (compactionRunning) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether every commit is kept in the log {@code file} (so whatever is committed can be read back from it). */
    synchronized boolean keptIn(java.nio.file.Path file) {
        return log != null && log.file().equals(file);
    }

    /** Times the log was rewritten whole (compacted, or mended after a failed write). */
    synchronized long rewrites() {
        return rewrites;
    }


    private void refuseIfFrozen(long seq) {
        if (frozen) {
            throw new PeerException(RemoteError.TAKEN_BACK, "checkpoint " + seq + " comes too late: the source is"
                    + " restoring the guest from checkpoint " + (latest == null ? 0 : latest.seq()));
        }
    }

    /** Takes no more checkpoints; returns the newest whole one, the one a fail-back restores (none: the switch). */
    synchronized Optional<Committed> freeze() {
        frozen = true;
        return Optional.ofNullable(latest);
    }

    /** Gives every page of the frozen checkpoint to {@code write}, in gfn order. */
    synchronized void forEachPage(PageWriter write) {
        if (!frozen) {
            throw new IllegalStateException("freeze the checkpoints before restoring them");
        }
        overlay.forEach(write);
    }

    /** Checkpoint {@code c}, committed here and frozen, as a restore reads it. */
    CheckpointRestore.Source restorable(Committed c) {
        return new CheckpointRestore.Source() {
            @Override
            public long seq() {
                return c.seq();
            }

            @Override
            public GfnBitmap unpopulated() {
                return c.unpopulated();
            }

            @Override
            public List<VcpuState> vcpus() {
                return c.vcpus();
            }

            @Override
            public void forEachPage(PageWriter write) {
                CheckpointStore.this.forEachPage(write);
            }
        };
    }

    /** Where a restored page goes. */
    interface PageWriter {
        void write(long gfn, ByteBuffer page);
    }

    /** The newest whole checkpoint, if any. */
    synchronized Optional<Committed> latest() {
        return Optional.ofNullable(latest);
    }

    synchronized long commits() {
        return commits;
    }

    /** Checkpoint pages received, committed or not. */
    synchronized long pagesReceived() {
        return pagesReceived;
    }

    synchronized long bytesReceived() {
        return bytesReceived;
    }
}
