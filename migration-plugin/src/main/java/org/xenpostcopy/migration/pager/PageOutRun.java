package org.xenpostcopy.migration.pager;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.pager.PagerLoop;

/**
 * Pages {@code count} gfns of a running domain out into this process, serves the guest's faults for a while,
 * then loads every page still out and disables paging. The domain keeps running throughout.
 *
 * <p>Per gfn the order is xenpaging's: nominate (the guest loses access), copy the page through a foreign
 * mapping and drop the mapping, evict. A copy taken before nominating could be stale by the time the page is
 * evicted; after nominating the guest cannot change it, and a guest access in between makes the evict fail.
 */
public final class PageOutRun {
    private static final Logger LOG = Logger.getLogger(PageOutRun.class.getName());
    /** How long the ring must stay empty after the last page went back before paging is turned off. */
    private static final long QUIET_MS = 200;

    private final XenHost host;
    private final DomainId domain;
    /** Saved copies of pages that are out; removed when loaded back. Guarded by itself. */
    private final Map<Long, byte[]> out = new HashMap<>();
    private long faults;
    private long loadedOnFault;
    private long foreign;

    public PageOutRun(XenHost host, DomainId domain) {
        this.host = host;
        this.domain = domain;
    }

    /**
     * @param count    how many gfns to page out, spread evenly over the populated ones
     * @param holdMs   how long to leave them out while serving faults
     * @param progress told the number of pages still out, about every second of the hold
     */
    public PageOutResult run(long count, long holdMs, LongConsumer progress) throws InterruptedException {
        if (count <= 0) {
            throw new IllegalArgumentException("page-out needs a positive page count, got " + count);
        }
        GfnBitmap populated = host.domains().populated(domain);
        long[] candidates = spread(populated, count);
        try (PagingSession session = host.paging().enable(domain)) {
            try {
                return pageOutAndHold(session, candidates, holdMs, progress);
            } catch (RuntimeException | InterruptedException e) {
                putEverythingBack(session);
                throw e;
            }
        }
    }

    private PageOutResult pageOutAndHold(PagingSession session, long[] candidates, long holdMs, LongConsumer progress)
            throws InterruptedException {
        long t0 = System.nanoTime();
        long busy = pageOut(session, candidates);
        long pageOutMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        PagerLoop loop = new PagerLoop(session, servedFromCopies(session)).start();
        long t1 = System.nanoTime();
        long holdTime;
        long loadedAtEnd;
        try {
            long end = t1 + TimeUnit.MILLISECONDS.toNanos(holdMs);
            while (System.nanoTime() < end) {
                TimeUnit.NANOSECONDS.sleep(Math.min(end - System.nanoTime(), TimeUnit.SECONDS.toNanos(1)));
                progress.accept(stillOut());
            }
            holdTime = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1);
            // Loaded back while the loop still answers faults; then the loop drains the ring until it stays quiet.
            loadedAtEnd = loadEverything(session);
        } finally {
            loop.drainAndStop(QUIET_MS);
        }
        synchronized (out) {
            return new PageOutResult(candidates.length, candidates.length - busy, busy, faults, loadedOnFault,
                    loadedAtEnd, foreign, pageOutMs, holdTime);
        }
    }

    /** Faults answered from the saved copies: every page out is in {@code out}, so each is answered at once. */
    private PagerLoop.FaultHandler servedFromCopies(PagingSession session) {
        ByteBuffer buf = ByteBuffer.allocateDirect(Gfn.PAGE_SIZE);
        return (request, takenAt) -> {
            if (request.dropsPage()) {
                synchronized (out) {
                    out.remove(request.gfn().value());   // the guest gave the gfn back: our copy is no one's now
                }
                return true;
            }
            synchronized (out) {
                faults++;
                if (request.foreign()) {
                    foreign++;
                }
                if (load(session, request.gfn().value(), buf)) {
                    loadedOnFault++;
                }
            }
            return true;
        };
    }

    /** After a failure: the only copy of every page still out is here, so it goes back before paging is off. */
    private void putEverythingBack(PagingSession session) {
        try {
            loadEverything(session);
            new PagerLoop(session, servedFromCopies(session)).drainAndStop(QUIET_MS);
        } catch (RuntimeException | InterruptedException e) {
            LOG.log(Level.SEVERE, domain + ": could not load every page back; " + stillOut()
                    + " pages stay out and the guest will stall on them", e);
        }
    }

    /** {@code count} gfns at even strides over the populated ones (all of them if there are fewer). */
    static long[] spread(GfnBitmap populated, long count) {
        long total = populated.cardinality();
        long n = Math.min(count, total);
        long[] picked = new long[(int) n];
        if (n == 0) {
            return picked;
        }
        double stride = (double) total / n;
        long index = 0;
        int next = 0;
        for (long g = populated.nextSet(0); g >= 0 && next < n; g = populated.nextSet(g + 1), index++) {
            if (index >= (long) (next * stride)) {
                picked[next++] = g;
            }
        }
        return picked;
    }

    private long pageOut(PagingSession session, long[] gfns) {
        ByteBuffer buf = ByteBuffer.allocateDirect(Gfn.PAGE_SIZE);
        long busy = 0;
        for (long g : gfns) {
            Gfn gfn = Gfn.of(g);
            try {
                session.nominate(gfn);
                buf.clear();
                host.memory().read(domain, gfn, buf);
                byte[] copy = new byte[Gfn.PAGE_SIZE];
                buf.flip();
                buf.get(copy);
                synchronized (out) {
                    // Kept before the evict: a fault can come the instant the page is gone.
                    out.put(g, copy);
                }
                session.evict(gfn);
            } catch (XenException e) {
                if (e.errno().orElse(null) != Errno.EBUSY) {
                    throw e;
                }
                synchronized (out) {
                    out.remove(g);
                }
                busy++;
            }
        }
        return busy;
    }

    /** Loads {@code gfn} if it is out; caller holds {@code out}. */
    private boolean load(PagingSession session, long gfn, ByteBuffer buf) {
        byte[] copy = out.get(gfn);
        if (copy == null) {
            return false;   // never evicted, or already back: the response alone resumes the vCPU
        }
        buf.clear();
        buf.put(copy).flip();
        session.load(Gfn.of(gfn), buf);
        out.remove(gfn);
        return true;
    }

    private long loadEverything(PagingSession session) {
        ByteBuffer buf = ByteBuffer.allocateDirect(Gfn.PAGE_SIZE);
        long n = 0;
        synchronized (out) {
            for (Long g : new ArrayList<>(out.keySet())) {
                if (load(session, g, buf)) {
                    n++;
                }
            }
        }
        return n;
    }

    private long stillOut() {
        synchronized (out) {
            return out.size();
        }
    }
}
