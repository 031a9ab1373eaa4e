package org.xenpostcopy.migration.destination;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.xenpostcopy.migration.report.LatencyRecorder;
import org.xenpostcopy.xen.AtomicGfnBitmap;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.PagingRequest;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.pager.PagerLoop;

/**
 * Which post-copy pages have arrived, and which faults wait for which page. Per gfn: expected (it will arrive)
 * or not; loaded or not; and, while not loaded, the requests waiting for it.
 *
 * <p>A stripe lock per gfn makes "load, then take the waiting requests" ({@link #deliver}) and "loaded? else
 * wait" ({@link #onFault}) atomic against each other: that settles the race between a pushed page and a fault on
 * it, so no fault waits for a page that has already been loaded and no page is loaded twice.
 */
final class ArrivalLedger implements PagerLoop.FaultHandler {
    private static final Logger LOG = System.getLogger(ArrivalLedger.class.getName());
    private static final int STRIPES = 1024;

    private final String session;
    private final PagingSession paging;
    private final long gfnCount;
    private volatile LongConsumer fetch = gfn -> {
        throw new IllegalStateException("a fault before the ledger was connected to a demand channel");
    };
    private volatile Consumer<List<PagingRequest>> answer = requests -> {
        throw new IllegalStateException("a fault answer before the ledger was connected to a pager loop");
    };
    /**
     * Per stripe, the requests waiting per gfn, each with when it came off the ring; each map is also its
     * stripe's lock. A map, not an array over every gfn: at most a ring's worth of faults wait at once.
     */
    private final List<Map<Long, PendingFault>> stripes = new ArrayList<>(STRIPES);
    private final AtomicGfnBitmap loadedBits;
    private volatile GfnBitmap expected;
    private volatile long expectedCount = -1;
    private final CountDownLatch settled = new CountDownLatch(1);

    private final AtomicLong loaded = new AtomicLong();
    private final AtomicLong released = new AtomicLong();
    /** Loaded plus released: one count, so exactly one delivery sees the last page settle. */
    private final AtomicLong settledPages = new AtomicLong();
    private volatile String failure;
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong networkFaults = new AtomicLong();
    /** The gfns of network faults: every first touch of a post-copy page not among them was a minor fault. */
    private final AtomicGfnBitmap networkFaulted;
    private final LatencyRecorder faultLatency = new LatencyRecorder();
    /**
     * The same waits split by what ended them: a page fetched on demand, or one the push brought (the source had
     * sent it already, or the push beat the fetch). A tail among the second is the push's (its queues, its threads'
     * turns), not the demand channel's.
     */
    private final LatencyRecorder waitsForFetched = new LatencyRecorder();
    private final LatencyRecorder waitsForPushed = new LatencyRecorder();
    /** And those whose page had landed before the request left the ring: answered at once, nothing awaited. */
    private final LatencyRecorder waitsForNothing = new LatencyRecorder();
    /** Told each fault's latency as it is recorded (the daemon's live histogram). */
    private final LongConsumer faultAnswered;
    private volatile long lastLoadedAt;
    private volatile Runnable onLastPage = () -> { };

    private static final class PendingFault {
        final List<PagingRequest> requests = new ArrayList<>(1);
        final List<Long> since = new ArrayList<>(1);
    }

    ArrivalLedger(String session, PagingSession paging, long gfnCount) {
        this(session, paging, gfnCount, nanos -> { });
    }

    /** @param faultAnswered told each fault's latency in nanoseconds, on the thread that answered it */
    ArrivalLedger(String session, PagingSession paging, long gfnCount, LongConsumer faultAnswered) {
        this.faultAnswered = faultAnswered;
        this.session = session;
        this.paging = paging;
        this.gfnCount = gfnCount;
        this.loadedBits = new AtomicGfnBitmap(gfnCount);
        this.networkFaulted = new AtomicGfnBitmap(gfnCount);
        for (int i = 0; i < STRIPES; i++) {
            stripes.add(new HashMap<>());
        }
    }

    /**
     * Connects the ledger to the post-copy machinery (made after it: the pager loop asks the ledger).
     *
     * @param fetch  told each gfn that a fault needs and nobody has asked the source for yet
     * @param answer answers requests whose page has just been loaded (the pager loop's ring)
     */
    void connect(LongConsumer fetch, Consumer<List<PagingRequest>> answer) {
        this.fetch = fetch;
        this.answer = answer;
    }

    /**
     * Names the pages still to come (at the switch) and what to run once the last has loaded. Until then every
     * page is refused and every fault waits.
     */
    void expect(GfnBitmap pages, Runnable whenAllLoaded) {
        onLastPage = whenAllLoaded;
        expectedCount = pages.cardinality();
        expected = pages;
        if (expectedCount == 0) {
            lastLoadedAt = System.nanoTime();
            whenAllLoaded.run();
            settled.countDown();
        }
    }

    /**
     * A page arrived on the push channel: loaded at once if it is expected and not loaded yet, and every request
     * waiting for it answered; a duplicate is counted and dropped; a page for a hole or out of range is refused.
     * Never loads anything twice.
     */
    void deliver(long gfn, ByteBuffer page) {
        deliver(gfn, page, waitsForPushed);
    }

    /** A page arrived on the demand channel, in a fetch's reply: as {@link #deliver}. */
    void deliverFetched(long gfn, ByteBuffer page) {
        deliver(gfn, page, waitsForFetched);
    }

    private void deliver(long gfn, ByteBuffer page, LatencyRecorder waitsOfThisPath) {
        GfnBitmap exp = expected;
        if (exp == null || gfn < 0 || gfn >= gfnCount || !exp.get(gfn)) {
            rejected.incrementAndGet();
            LOG.log(Level.WARNING, "session {0}: refused a page for gfn 0x{1} (not expected)", session,
                    Long.toHexString(gfn));
            return;
        }
        PendingFault waiting;
        boolean here;
        Map<Long, PendingFault> pending = stripe(gfn);
        synchronized (pending) {
            if (loadedBits.get(gfn)) {
                duplicates.incrementAndGet();
                return;
            }
            here = load(gfn, page);
            loadedBits.setIfClear(gfn);     // under the stripe lock: set only once the page is settled
            waiting = pending.remove(gfn);
        }
        if (waiting != null) {
            answer.accept(waiting.requests);
            long now = System.nanoTime();
            for (long t : waiting.since) {
                waitsOfThisPath.record(now - t);
                faultLatency.record(now - t);
                faultAnswered.accept(now - t);
            }
        }
        (here ? loaded : released).incrementAndGet();
        if (settledPages.incrementAndGet() == expectedCount) {
            lastLoadedAt = System.nanoTime();
            onLastPage.run();
            settled.countDown();
        }
    }

    /**
     * Loads one page; false if the guest had already taken the gfn back. Between the switch and a page's arrival
     * the guest may balloon it out (or out and in again): Xen then refuses the load with ENOENT (the gfn is no
     * longer paged out), and the copy that arrived is older than what the guest now owns, so it is dropped —
     * counted, never loaded. Any other failure (EINVAL: a dying domain or a bad buffer) is recorded and wakes
     * whoever waits for completion: the migration fails loudly instead of waiting for a page that will never
     * load, and a guest that died is found by the caller's check.
     */
    private boolean load(long gfn, ByteBuffer page) {
        try {
            paging.load(Gfn.of(gfn), page);
            return true;
        } catch (XenException e) {
            if (e.is(Errno.ENOENT)) {
                LOG.log(Level.DEBUG, "session {0}: gfn 0x{1} was given back by the guest before it arrived: {2}",
                        session, Long.toHexString(gfn), e.getMessage());
                return false;
            }
            if (failure == null) {
                failure = "gfn 0x" + Long.toHexString(gfn) + " could not be loaded: " + e.getMessage();
            }
            settled.countDown();
            throw e;
        }
    }

    /**
     * A request off the ring. True if its page is here (a push brought it while the request was on the ring: the
     * loop answers it now); otherwise it waits for the page and, if it is the first to want it, the source is asked
     * (a network fault).
     */
    @Override
    public boolean onFault(PagingRequest r, long takenAt) {
        long gfn = r.gfn().value();
        if (gfn < 0 || gfn >= gfnCount) {
            return true;   // not a page of this migration: the response alone lets Xen retry and report it
        }
        if (r.dropsPage()) {
            // The guest gave the gfn back: answered at once (it holds a ring slot), nothing fetched; the page, if
            // it still comes, is refused its load and counted as given back.
            return true;
        }
        GfnBitmap exp = expected;
        if (exp != null && !exp.get(gfn)) {
            return true;   // a hole since the switch: no page will come; the response lets Xen retry and decide
        }
        Map<Long, PendingFault> pending = stripe(gfn);
        synchronized (pending) {
            if (!loadedBits.get(gfn)) {
                PendingFault pf = pending.get(gfn);
                boolean first = pf == null;
                if (first) {
                    pf = new PendingFault();
                    pending.put(gfn, pf);
                }
                pf.requests.add(r);
                pf.since.add(takenAt);
                if (first) {
                    networkFaults.incrementAndGet();
                    networkFaulted.setIfClear(gfn);
                    fetch.accept(gfn);
                }
                return false;
            }
        }
        long waited = System.nanoTime() - takenAt;
        waitsForNothing.record(waited);
        faultLatency.record(waited);
        faultAnswered.accept(waited);
        return true;
    }

    /**
     * The pages still to come: expected and not yet settled. Taken bit by bit while pages may still land, so a
     * page loaded meanwhile may be named too (the source then sends it again and the copy is dropped here as a
     * duplicate); a page named missing is never one that was loaded before the call.
     */
    GfnBitmap missing() {
        GfnBitmap exp = expected;
        if (exp == null) {
            return new GfnBitmap(gfnCount);
        }
        GfnBitmap missing = exp.copy();
        missing.andNot(loadedBits.snapshot());
        return missing;
    }

    /**
     * The gfns the pager may still hold paged out: expected and not settled — null before {@link #expect}. A page
     * loaded (or refused its load as given back) while this is read may still be named; one named out never is:
     * nothing is paged out again after the switch. Every other gfn's p2m type can be read without paging it in.
     */
    GfnBitmap stillPagedOut() {
        return expected == null ? null : missing();
    }

    /** The gfns faults wait for now (each once), to be asked again after a recovery. */
    long[] waitingGfns() {
        List<Long> all = new ArrayList<>();
        for (Map<Long, PendingFault> stripe : stripes) {
            synchronized (stripe) {
                all.addAll(stripe.keySet());
            }
        }
        return all.stream().mapToLong(Long::longValue).toArray();
    }

    /** Pages settled so far (loaded, or given back by the guest before they came). */
    long settled() {
        return settledPages.get();
    }

    /** Stops waiting for pages that will not come (the guest is gone): whoever waits in {@link #await} wakes. */
    void abandon() {
        settled.countDown();
    }

    /** Waits until every expected page is loaded (or the ledger is abandoned); true if all were loaded. */
    boolean await(long timeoutMs) throws InterruptedException {
        settled.await(timeoutMs, TimeUnit.MILLISECONDS);
        return allLoaded();
    }

    /** Whether a waiter in {@link #await} would return at once (all settled, abandoned or failed). */
    boolean settledOrGivenUp() {
        return settled.getCount() == 0;
    }

    boolean allLoaded() {
        return expectedCount >= 0 && settledPages.get() == expectedCount;
    }

    /** Counts a page or batch refused before it reached the ledger (malformed). */
    void countRejected() {
        rejected.incrementAndGet();
    }

    long expectedCount() {
        return expectedCount;
    }

    long loaded() {
        return loaded.get();
    }

    /** Pages that arrived after the guest had given their gfn back (dropped, not loaded). */
    long released() {
        return released.get();
    }

    /** Why a page could not be loaded (the migration cannot finish), or null. */
    String failure() {
        return failure;
    }

    long duplicates() {
        return duplicates.get();
    }

    long rejected() {
        return rejected.get();
    }

    long networkFaults() {
        return networkFaults.get();
    }

    /**
     * The guest's touches of this migration's pages, counted from one picture of its accessed bits so the parts
     * add up: {@code touched = networkFaults + minor} whenever the guest touched no hole.
     *
     * @param touched distinct pages the guest touched: its accessed bits, plus the pages of its network faults —
     *                a faulting access is a touch, even if the vCPU has not yet run again to set the bit
     * @param minor   the paper's minor faults: post-copy pages whose first touch found them brought by
     *                pre-paging — touched, expected, and never the page of a network fault. Most were loaded
     *                before the guest came (on the paper's guest, a page in the swap cache waiting to be mapped);
     *                a few arrived by push while the guest's request sat on the ring
     */
    record TouchCensus(long touched, long minor) { }

    /**
     * Counts the guest's touches and minor faults from one snapshot of its accessed bits (taken by the caller),
     * never from two reads a guest still running could fall between.
     *
     * @param accessed the pages the guest has touched here (its host's accessed bits)
     */
    TouchCensus touchCensus(GfnBitmap accessed) {
        GfnBitmap faulted = networkFaulted.snapshot();
        GfnBitmap touched = accessed.copy();
        touched.or(faulted);
        GfnBitmap exp = expected;
        if (exp == null) {
            return new TouchCensus(touched.cardinality(), 0);
        }
        GfnBitmap minor = accessed.copy();
        minor.andNot(faulted);
        GfnBitmap notExpected = GfnBitmap.full(gfnCount);
        notExpected.andNot(exp);
        minor.andNot(notExpected);
        return new TouchCensus(touched.cardinality(), minor.cardinality());
    }

    LatencyRecorder.Percentiles faultLatency() {
        return faultLatency.percentiles();
    }

    /** The pager's waits for a page fetched on demand. */
    LatencyRecorder waitsForFetched() {
        return waitsForFetched;
    }

    /** The pager's waits for a page the push brought. */
    LatencyRecorder waitsForPushed() {
        return waitsForPushed;
    }

    /** The pager's waits for a page already here when the request left the ring. */
    LatencyRecorder waitsForNothing() {
        return waitsForNothing;
    }

    long lastLoadedAt() {
        return lastLoadedAt;
    }

    private Map<Long, PendingFault> stripe(long gfn) {
        return stripes.get((int) (gfn & (STRIPES - 1)));
    }
}
