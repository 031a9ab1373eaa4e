package org.xenpostcopy.migration.source;

import java.nio.ByteBuffer;
import java.util.List;
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
 */
final class CheckpointStore {
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

    /** Stages pages of checkpoint {@code seq}; a newer seq drops what was staged for an older one. */
    synchronized void pages(long seq, PageBatch batch) {
        refuseIfFrozen(seq);
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
        long staged = c.seq() == stagingSeq ? staging.size() : 0;
        if (c.seq() <= (latest == null ? 0 : latest.seq()) || staged != c.pageCount()) {
            throw new PeerException(RemoteError.WRONG_STATE, "checkpoint " + c.seq() + " names " + c.pageCount()
                    + " pages and " + staged + " are staged for it: not committed");
        }
        if (c.unpopulated().size() != gfnCount || c.vcpus().isEmpty()) {
            throw PeerException.badRequest("checkpoint " + c.seq() + " lacks vCPU state or a hole map of "
                    + gfnCount + " gfns");
        }
        overlay.putAll(staging);
        // A page the guest gave back since an earlier checkpoint is a hole now: its old contents must not return.
        for (long g = c.unpopulated().nextSet(0); g >= 0; g = c.unpopulated().nextSet(g + 1)) {
            overlay.remove(g);
        }
        staging.clear();
        commits++;
        latest = new Committed(c.seq(), c.vcpus(), c.unpopulated(), overlay.size(), c.guestOps(), System.nanoTime());
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
