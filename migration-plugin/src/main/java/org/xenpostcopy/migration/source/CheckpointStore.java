package org.xenpostcopy.migration.source;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
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
 * last one it saw acknowledged, so a source that forgot it would build the next on the wrong base.
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

    /**
     * The newest whole checkpoint: the source's copy plus {@code pages} is the guest at that instant.
     *
     * @param committedAt {@code System.nanoTime()} at its commit here
     */
    record Committed(long seq, List<VcpuState> vcpus, GfnBitmap unpopulated, long pageCount, long guestOps,
                     long committedAt) {
    }

    CheckpointStore(long gfnCount) {
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

    /** Commits checkpoint {@code c.seq()} if every one of its pages is staged. */
    synchronized void commit(Checkpoint c) {
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
        if (log != null && log.wantsRewrite(overlay.size())) {
            compact();
        }
    }

    /** Rewrites the log as the one merged checkpoint; a failure leaves the old log, whole, in place. */
    private void compact() {
        Committed c = latest;
        long t0 = System.nanoTime();
        long before = log.bytes();
        try {
            log.rewrite(new CheckpointLog.Entry(c.seq(), c.guestOps(), c.unpopulated(), c.vcpus(), overlay.size(),
                    overlay::forEach));
            rewrites++;
            LOG.log(Level.DEBUG, "checkpoint log rewritten at checkpoint {0}: {1} bytes, was {2}, in {3} ms", c.seq(),
                    log.bytes(), before, String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e6));
        } catch (IOException e) {
            LOG.log(Level.WARNING, "the checkpoint log {0} could not be rewritten ({1}); it keeps growing",
                    log.file(), e.getMessage());
        }
    }

    private void refuseIfRefusing(long seq) {
        if (refusing != null) {
            throw new PeerException(RemoteError.WRONG_STATE, "checkpoint " + seq + " refused: " + refusing);
        }
    }

    /** The session is over: the log is closed (the journal deletes it); a late commit is refused. */
    synchronized void close() {
        if (log != null) {
            log.close();
            log = null;
            refusing = "the session is over";
        }
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
