package org.xenpostcopy.migration.destination;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.link.LinkShaper;
import org.xenpostcopy.migration.peer.Checkpoint;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.peer.SourcePeer;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;

/**
 * Reverse incremental checkpoints (PostCopyFT): while the guest runs here and the source still holds its paused
 * copy, every interval the pages the guest dirtied since the last committed checkpoint, its vCPU state and its hole
 * map go back to the source, on a connection of their own, so a destination that dies can be replaced by the
 * source's copy plus the last whole checkpoint.
 *
 * <p>Each checkpoint is one consistent instant, taken the way pre-copy takes its last round: the dirty pages are
 * copied while the guest runs, then the guest is paused, the pages it dirtied meanwhile are copied again with its
 * vCPU state, and it runs on — so the pause lasts as long as the copy of what one round dirtied, not of all of it.
 * A checkpoint that does not reach the source whole is not lost: its pages stay owed and go with the next one.
 */
final class Checkpointer {
    private static final Logger LOG = System.getLogger(Checkpointer.class.getName());
    private static final int WIRE_BYTES_PER_PAGE = Gfn.PAGE_SIZE + 8;
    /** Live rounds before the pause, at most. */
    private static final int MAX_LIVE_ROUNDS = 5;
    /** A round that leaves no more dirty pages than this goes straight to the pause. */
    private static final long PAUSE_AT_PAGES = 256;

    private final String session;
    private final XenHost host;
    private final DomainId domain;
    private final long gfnCount;
    private final Supplier<SourcePeer> connect;
    private final long intervalNanos;
    private final CheckpointPacing pacing;
    private final BooleanSupplier mayTake;
    private final LinkShaper link;
    private final PostCopyHoleMap holeMap;
    private final Thread thread;
    /**
     * Read from log-dirty since the last committed checkpoint: what the next checkpoint carries besides what
     * log-dirty holds now (a checkpoint that failed leaves its pages here).
     */
    private GfnBitmap owed;
    /**
     * The checkpoint being built. Sent in batches of {@link CheckpointPages#BATCH_PAGES}, not the push's link-sized
     * ones (a few pages on a slow link, so urgent pages never queue behind one): each call here waits for its answer,
     * and the demand requests this direction carries are a few bytes that the shaper lets ahead anyway.
     */
    private final CheckpointPages built;
    /** The last checkpoint the source committed. */
    private long seq;
    /**
     * The number the next one takes: every attempt a new one, so a checkpoint whose commit reached the source but
     * whose reply was lost is never sent again under the number the source has already committed.
     */
    private long nextSeq = 1;
    private volatile SourcePeer channel;
    private volatile boolean stop;
    private final AtomicLong committed = new AtomicLong();
    private final AtomicLong pauseNanos = new AtomicLong();
    private boolean failing;
    /** What copying one page cost in the last live round, for the pause's estimate. */
    private long nanosPerPage = 2_000;
    private long lastCommitAt = System.nanoTime();
    private final AtomicLong deferred = new AtomicLong();
    /** What the last checkpoint taken spent, in nanoseconds: copying live, reading the hole map, paused. */
    private long liveNanos;
    private long holeMapNanos;
    private long lastPauseNanos;
    private long slowLoggedAt = System.nanoTime() - TimeUnit.MINUTES.toNanos(2);
    /** Gfns of the checkpoint being built whose read failed: each must be a hole by the pause, or it fails. */
    private GfnBitmap unread;

    /**
     * @param mayTake       whether a checkpoint may be taken now (the guest runs here, unfenced, with pages still to
     *                      come)
     * @param stillPagedOut the gfns the pager may still hold out (see {@link PostCopyHoleMap})
     */
    Checkpointer(String session, XenHost host, DomainId domain, long gfnCount, Supplier<SourcePeer> connect,
                 long intervalMs, BooleanSupplier mayTake, LinkShaper link, Supplier<GfnBitmap> stillPagedOut) {
        this.session = session;
        this.host = host;
        this.domain = domain;
        this.gfnCount = gfnCount;
        this.connect = connect;
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
        this.pacing = new CheckpointPacing(intervalNanos);
        this.mayTake = mayTake;
        this.link = link;
        this.holeMap = new PostCopyHoleMap(host.domains(), domain, gfnCount, stillPagedOut);
        this.owed = new GfnBitmap(gfnCount);
        this.built = new CheckpointPages(gfnCount);
        this.thread = new Thread(this::run, "checkpoints-" + domain);
        thread.setDaemon(true);
    }

    /** Turns log-dirty on; call with the guest paused, before it first runs here, so no write goes unseen. */
    void armBeforeResume() {
        host.dirtyLog().enable(domain);
    }

    void start() {
        thread.start();
    }

    long committed() {
        return committed.get();
    }


    /** Checkpoints put off because their pause would have been too long. */
    long deferred() {
        return deferred.get();
    }

    double pauseMs() {
        return pauseNanos.get() / 1e6;
    }

    private void run() {
        long next = System.nanoTime() + intervalNanos;
        while (!stop) {
            long left = next - System.nanoTime();
            if (left > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(this, left);
                continue;
            }
            long t0 = System.nanoTime();
            next = t0 + intervalNanos;
            if (!mayTake.getAsBoolean()) {
                continue;
            }
            try {
                Checkpoint c = take();
                long t1 = System.nanoTime();
                if (c != null && !stop) {
                    send(c);
                    LOG.log(Level.DEBUG, "session {0}: checkpoint {1}: {2} pages, taken in {3} ms, sent in {4} ms",
                            session, c.seq(), c.pageCount(), (t1 - t0) / 1_000_000,
                            (System.nanoTime() - t1) / 1_000_000);
                }
                next = pacing.afterTry(next, t0, t1, holeMapNanos, System.nanoTime(), lastCommitAt);
                if (c != null && !stop) {
                    reportSpacing(c, t1 - t0, next - System.nanoTime());
                }
            } catch (PeerException e) {
                if (e.error() == RemoteError.WRONG_STATE || e.error() == RemoteError.UNKNOWN_SESSION
                        || e.error() == RemoteError.TAKEN_BACK || e.error() == RemoteError.UNAUTHORIZED) {
                    // The source refuses them (a restarted source keeps none, or it took the guest back): asking
                    // again would only pause the guest for nothing.
                    LOG.log(Level.WARNING, "session {0}: the source refuses checkpoints ({1}); none are taken from"
                            + " now on", session, e.getMessage());
                    break;
                }
                giveBackAndReport(e);
                next = pacing.spaced(next, t0, System.nanoTime(), holeMapNanos);
            } catch (RuntimeException e) {
                giveBackAndReport(e);
                next = pacing.spaced(next, t0, System.nanoTime(), holeMapNanos);
            } catch (Error e) {
                // Out of direct memory for the copy, say: no checkpoints from here on, and loudly; and the copy's
                // chunks go back, or the daemon's next connection finds no direct memory for its buffers either.
                built.release();
                LOG.log(Level.ERROR, "session " + session + ": checkpoints stop; should this host die before the "
                        + "last page arrives, the guest comes back at the source as its last checkpoint left it, "
                        + "however old", e);
                break;
            }
        }
        closeChannel();
    }

    /**
     * Builds the next checkpoint into {@link #built}: live rounds while what the guest dirtied during the last one
     * keeps shrinking (as pre-copy converges), then the pause for the rest. Null when it is put off or the
     * checkpointer was stopped meanwhile.
     */
    Checkpoint take() {
        long tStart = System.nanoTime();
        holeMapNanos = 0;
        lastPauseNanos = 0;
        dropBuilt();
        unread = new GfnBitmap(gfnCount);
        GfnBitmap live = host.dirtyLog().readAndClear(domain);
        live.or(owed);
        owed = live;       // owed from here until the source commits it, whatever fails on the way
        timedCopy(live);
        long previous = live.cardinality();
        for (int round = 1; round < MAX_LIVE_ROUNDS && previous > PAUSE_AT_PAGES && !stop; round++) {
            GfnBitmap again = host.dirtyLog().readAndClear(domain);
            owed.or(again);
            timedCopy(again);
            long n = again.cardinality();
            if (n >= previous) {
                break;        // the guest dirties as fast as it is copied: more rounds would not shorten the pause
            }
            previous = n;
        }
        if (stop) {
            // Stopped while copying (the last page arrived, the session ends): what was copied is of no use now, and
            // the session's end must not wait for the rest.
            dropBuilt();
            return null;
        }
        long pauseEstimate = previous * nanosPerPage;
        if (!pacing.mayPause(pauseEstimate, System.nanoTime(), lastCommitAt)) {
            // Its pages stay owed and go with the next one.
            if (deferred.getAndIncrement() == 0) {
                LOG.log(Level.INFO, "session {0}: checkpoint put off: the guest dirtied {1} pages during the last"
                        + " copy, and pausing it for them would take about {2} ms; checkpoints stretch to at most"
                        + " {3} intervals apart", session, previous, pauseEstimate / 1_000_000,
                        CheckpointPacing.OVERDUE_INTERVALS);
            }
            dropBuilt();
            return null;
        }
        long tLive = System.nanoTime();
        liveNanos = tLive - tStart;
        holeMap.readWhileRunning();
        long t0 = System.nanoTime();
        holeMapNanos = t0 - tLive;
        if (stop) {
            dropBuilt();
            return null;      // stopped while the map was read (seconds on a slow dom0): no pause for nothing
        }
        host.domains().pause(domain);
        long tPaused = System.nanoTime();
        List<VcpuState> vcpus;
        GfnBitmap holes;
        long ops;
        try {
            GfnBitmap meanwhile = host.dirtyLog().readAndClear(domain);
            owed.or(meanwhile);
            copy(meanwhile);
            if (stop) {
                dropBuilt();
                return null;      // a copy broken off is not a checkpoint; the guest runs on at once (finally)
            }
            LOG.log(Level.DEBUG, "session {0}: checkpoint {1}: {2} pages copied with the guest paused ({3} ms to pause"
                    + " it), {4} dirtied in the last live round", session, nextSeq, meanwhile.cardinality(),
                    (tPaused - t0) / 1_000_000, previous);
            vcpus = host.domains().vcpuStates(domain);
            holes = holeMap.holesWhilePaused();
            unread.andNot(holes);
            if (!unread.isEmpty()) {
                throw new XenException("xenforeignmemory_map", org.xenpostcopy.xen.Errno.EFAULT, domain + ": gfn 0x"
                        + Long.toHexString(unread.nextSet(0)) + " could not be read though populated; checkpoint "
                        + (nextSeq) + " is not taken");
            }
            ops = host.guestProbe().map((GuestProbe p) -> p.operations(domain)).orElse(-1L);
        } finally {
            host.domains().unpause(domain);
            lastPauseNanos = System.nanoTime() - t0;
            pauseNanos.addAndGet(lastPauseNanos);
        }
        return new Checkpoint(nextSeq++, vcpus, holes, built.count(), ops);
    }

    /**
     * Says, at most once a minute, when taking checkpoints costs so much that they are spaced wider than the
     * interval asked for — on a slow or busy dom0 the hole map's read alone can take seconds — and what the time
     * went on; and says when the first one reaches the source.
     */
    private void reportSpacing(Checkpoint c, long takeNanos, long untilNextNanos) {
        long now = System.nanoTime();
        boolean stretched = untilNextNanos > 2 * intervalNanos;
        if (committed.get() == 1 || stretched && now - slowLoggedAt > TimeUnit.MINUTES.toNanos(1)) {
            if (stretched) {
                slowLoggedAt = now;
            }
            LOG.log(Level.INFO, "session {0}: checkpoint {1} reached the source: {2} pages, taken in {3} ms ({4} ms"
                    + " copying live, {5} ms reading the hole map, {6} ms paused); the next in {7} ms{8}", session,
                    c.seq(), c.pageCount(), takeNanos / 1_000_000, liveNanos / 1_000_000, holeMapNanos / 1_000_000,
                    lastPauseNanos / 1_000_000, untilNextNanos / 1_000_000, stretched
                            ? " (they may cost the guest 1/" + CheckpointPacing.GUEST_SHARE + " of its time and dom0 1/"
                            + CheckpointPacing.TAKE_SHARE
                            + " of its, so they are spaced wider than the "
                            + TimeUnit.NANOSECONDS.toMillis(intervalNanos) + " ms asked for)" : "");
        }
    }

    /** {@link #copy}, measuring what a page costs. */
    private void timedCopy(GfnBitmap dirty) {
        long n = dirty.cardinality();
        long t0 = System.nanoTime();
        copy(dirty);
        if (n >= 64) {
            nanosPerPage = Math.max(1, (System.nanoTime() - t0) / n);
        }
    }

    /**
     * Copies every populated gfn of {@code dirty} into the checkpoint (again, if it is in it already); breaks off
     * when the checkpointer is stopped, leaving the checkpoint incomplete (the caller drops it).
     */
    private void copy(GfnBitmap dirty) {
        for (long g = dirty.nextSet(0); g >= 0 && !stop; g = dirty.nextSet(g + 1)) {
            try {
                built.copyIn(g, (gfn, page) -> host.memory().read(domain, Gfn.of(gfn), page));
            } catch (XenException unpopulated) {
                // Given back by the guest's balloon since it was dirtied, most likely: the pause round checks it
                // against the hole map (an older copy of it is out of the checkpoint either way).
                unread.set(g);
                continue;
            }
            unread.clear(g);
        }
    }

    /** Sends the checkpoint just taken and commits it; its pages stop being owed once the source holds it. */
    void send(Checkpoint c) {
        if (channel == null) {
            channel = connect.get();
        }
        int count = built.count();
        for (int from = 0; from < count; from += CheckpointPages.BATCH_PAGES) {
            int n = Math.min(CheckpointPages.BATCH_PAGES, count - from);
            link.transmit((long) n * WIRE_BYTES_PER_PAGE, false);
            channel.checkpointPages(c.seq(), built.batch(from, n));
        }
        channel.checkpointCommit(c);
        seq = c.seq();
        lastCommitAt = System.nanoTime();
        committed.incrementAndGet();
        owed = new GfnBitmap(gfnCount);
        dropBuilt();
        if (failing) {
            failing = false;
            LOG.log(Level.INFO, "session {0}: checkpoints reach the source again (checkpoint {1})", session, seq);
        }
    }

    /** A checkpoint that failed: its pages stay owed (they go with the next one), the channel is opened anew. */
    private void giveBackAndReport(RuntimeException e) {
        dropBuilt();
        closeChannel();
        if (!failing && !stop) {
            failing = true;
            LOG.log(Level.WARNING, "session {0}: checkpoint {1} did not reach the source ({2}); its pages go with the"
                    + " next", session, nextSeq - 1, e instanceof MigrationException ? e.getMessage() : e.toString());
        }
    }

    /** Forgets the pages of the checkpoint built (sent, put off or failed: owed says what is still to go). */
    private void dropBuilt() {
        built.clear();
    }

    private synchronized void closeChannel() {
        SourcePeer c = channel;
        channel = null;
        if (c != null) {
            c.close();
        }
    }

    void stop() {
        stop = true;
        java.util.concurrent.locks.LockSupport.unpark(thread);
        closeChannel();      // a send blocked on it fails at once
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            host.dirtyLog().disable(domain);
        } catch (RuntimeException alreadyGone) {
            // the domain may be destroyed already (lost, taken back): nothing to turn off
        }
    }
}
