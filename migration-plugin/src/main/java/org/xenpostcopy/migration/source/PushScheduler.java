package org.xenpostcopy.migration.source;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.xen.Gfn;

/**
 * The active push: takes pages in the pre-paging policy's order, claims each (a page the page server already
 * sent is skipped), and streams them in batches on the push channel without waiting for an answer, so the
 * source never waits for a round trip between batches; each batch as large as its connection drains in about
 * 5 ms ({@link PushBatchSizer}). The post-copy phase's send loop.
 *
 * <p>A push that shares the link by turns ({@link LinkTurns}) gives its place up {@link #HANDOFF_NANOS} before its
 * last page, at its own pace ({@link PushPace}, measured for twice that first): the migration waiting next spends
 * about that from its turn to its first page (connecting, the destination's prepare, the switch), and without the
 * overlap the link carried one push fewer for that long at every handover (RESULTS.md, "Evacuating a host").
 */
final class PushScheduler {
    private static final Logger LOG = System.getLogger(PushScheduler.class.getName());
    /**
     * How long before its last page a push hands its place at the link over: what a migration took from its turn to
     * its first page in the cluster lab's evacuation (0.2–0.3 s). Longer would let three pushes share the link for a
     * while, shorter would leave it to one.
     */
    static final long HANDOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(300);
    private final SourceSession session;
    private final DestinationPeer destination;
    private final int batchPages;
    private final MigrationProgress progress;
    private final Runnable handOff;
    private boolean handedOff;
    private volatile boolean stopped;

    /** @param handOff called once, when what is left to push takes about {@link #HANDOFF_NANOS} at its pace */
    PushScheduler(SourceSession session, DestinationPeer destination, int batchPages, MigrationProgress progress,
                  Runnable handOff) {
        this.session = session;
        this.destination = destination;
        this.batchPages = batchPages;
        this.progress = progress;
        this.handOff = handOff;
    }

    void stop() {
        stopped = true;
    }

    /** What one run of the push sent (a reconnect starts another run). */
    private static final class RunTally {
        long batches;
        long pages;
        /** Batches as large as the sizer asked: the rest were cut short, the policy having no more pages ready. */
        long asSized;
        int lastSize;
    }

    /** Runs until every page is claimed (sent by push or by demand). */
    void run() {
        RunTally tally = new RunTally();
        boolean finished = false;
        try {
            pushUntilAllClaimed(tally);
            finished = true;
        } finally {
            logEnd(tally, finished);
        }
    }

    private void pushUntilAllClaimed(RunTally tally) {
        SentPages sent = session.sent;
        long[] gfns = new long[batchPages];
        // Direct: guest pages are copied in once and the channel writes from here without another copy.
        ByteBuffer pages = ByteBuffer.allocateDirect(batchPages * Gfn.PAGE_SIZE);
        PushBatchSizer sizer = new PushBatchSizer(batchPages, PreCopySender.WIRE_BYTES_PER_PAGE);
        PushPace pace = new PushPace();
        long lastProgress = 0;
        while (!stopped && !sent.allClaimed()) {
            long notYet = session.policy.nanosUntilReady();
            if (notYet > 0) {
                LockSupport.parkNanos(Math.min(notYet, TimeUnit.MILLISECONDS.toNanos(5)));
                continue;
            }
            // Urgent pages first: while the page server answers a fault, the push does not compete for the CPU.
            while (session.urgentInProgress.get() > 0 && !stopped) {
                LockSupport.parkNanos(20_000);
            }
            // Wait for the link first and claim pages only then: a page claimed while the batch waits for its
            // slot would make a fault on it wait too (the page server would answer "already sent").
            int size = sizer.next();
            session.link.transmit((long) size * PreCopySender.WIRE_BYTES_PER_PAGE, false);
            int n = 0;
            while (n < size) {
                long g = session.policy.next();
                if (g < 0) {
                    break;
                }
                if (sent.claim(g)) {
                    gfns[n++] = g;
                }
            }
            if (n == 0) {
                if (!sent.allClaimed()) {
                    long wait = session.policy.nanosUntilReady();
                    LockSupport.parkNanos(Math.max(TimeUnit.MICROSECONDS.toNanos(200), Math.min(wait,
                            TimeUnit.MILLISECONDS.toNanos(5))));
                }
                continue;
            }
            pages.clear();
            for (int i = 0; i < n; i++) {
                session.readPage(gfns[i], pages);
            }
            pages.flip();
            long bytes = (long) n * PreCopySender.WIRE_BYTES_PER_PAGE;
            // Counted before it goes: once claimed, the batch is as sent as it will be until a recovery asks the
            // destination what it has (some of it may land even if the write fails).
            session.pushedPages.addAndGet(n);
            // Only the connection's time: reading the pages is the host's, and a batch costs some of that whatever
            // its size, so counting it would shrink batches on a slow host for no fault's sake.
            long started = System.nanoTime();
            try {
                destination.push(new PageBatch(gfns, n, pages));
            } catch (PeerException e) {
                throw new PeerException(e.error(), "the push connection to the destination failed after "
                        + session.pagesSent() + " pages: " + e.getMessage(), e);
            }
            long now = System.nanoTime();
            tally.batches++;
            tally.pages += n;
            tally.lastSize = size;
            if (n == size) {
                tally.asSized++;
                // A batch cut short (the policy had no more pages ready) spreads a frame's fixed cost over fewer
                // bytes: it would make the connection look slower than it is.
                sizer.sent(n, now - started);
            }
            pace.batchEnded(n, now);
            if (!handedOff && pace.measuredNanos() >= 2 * HANDOFF_NANOS
                    && pace.nanosFor(sent.toSend() - sent.claimed()) <= HANDOFF_NANOS) {
                handedOff = true;
                handOff.run();
            }
            if (now - lastProgress > 100_000_000L) {
                lastProgress = now;
                progress.update("post-copy", session.pagesSent(), sent.toSend(), session.demandRequests.get());
            }
        }
    }

    /**
     * Where the network faults went: a fault on a page the push had already sent (in flight) no ordering could have
     * spared; one on a page still unsent is the pre-paging policy's miss. And this run's batches: each frame costs
     * both ends a share that does not shrink with it (a call, a TLS record, threads woken), so a push that fell to
     * small batches shows here. Logged however the run ended: a cut's run counts too.
     */
    private void logEnd(RunTally t, boolean finished) {
        LOG.log(Level.INFO, "outgoing {0}: push {1}: this run sent {2} pages in {3} batches (mean {4} pages, {5} as "
                + "large as sized, the last sized {6}); in the session, {7} pages pushed, {8} sent on demand, {9} "
                + "faulted pages named already sent", session.domain,
                !finished ? "broken off" : stopped ? "stopped" : "done", t.pages, t.batches,
                String.format(java.util.Locale.ROOT, "%.1f", t.batches == 0 ? 0.0 : (double) t.pages / t.batches),
                t.asSized, t.lastSize, session.pushedPages.get(), session.demandPages.get(),
                session.alreadySentAnswers.get());
    }
}
