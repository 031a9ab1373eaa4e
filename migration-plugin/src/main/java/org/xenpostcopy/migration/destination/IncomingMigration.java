package org.xenpostcopy.migration.destination;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.xenpostcopy.migration.link.LinkShaper;
import org.xenpostcopy.migration.report.LatencyRecorder;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.PagingRequest;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.XenStore;

/**
 * One incoming post-copy migration. Its phases move only forward through {@link #advance}:
 * {@code PREPARED → RUNNING → COMPLETED}, {@code RUNNING → LOST}, or {@code PREPARED → ABORTED}.
 *
 * <p>Per gfn the states are: expected (will arrive) or a hole; loaded or not; and, while not loaded, possibly a
 * pending fault. A stripe lock per gfn makes "load and take the pending fault" and "check loaded or add a pending
 * fault" atomic against each other, which settles the race between a push and a fault for the same page.
 */
public final class IncomingMigration {
    private static final Logger LOG = System.getLogger(IncomingMigration.class.getName());
    private static final int STRIPES = 1024;

    /** LOST: the guest stopped on this host (crashed, shut down, destroyed) before every page had arrived. */
    public enum Phase { PREPARED, RUNNING, COMPLETED, ABORTED, LOST }

    /** How pages arrive: all after resume, all before, or both (see TPrepare.mode). */
    public enum Mode { POSTCOPY, PRECOPY, HYBRID }

    final String id;
    final Mode mode;
    private final XenHost host;
    /** Pages written before the switch (pre-copy rounds). */
    final AtomicLong receivedBeforeSwitch = new AtomicLong();
    private final Object switchLock = new Object();
    final DomainId domain;
    final long gfnCount;
    private final PagingSession paging;
    private final AtomicReference<Phase> phase = new AtomicReference<>(Phase.PREPARED);
    private final Object[] stripes = new Object[STRIPES];
    private final AtomicLongArray loadedBits;
    private final ReentrantLock ring = new ReentrantLock();
    private final ConcurrentHashMap<Long, PendingFault> pending = new ConcurrentHashMap<>();
    private volatile GfnBitmap expected;
    private GfnBitmap preparedHoles;
    /**
     * Prepared holes that a pre-copy page filled again. The domain stays paused until resume, so prepare's holes
     * minus these are exactly its unpopulated gfns: no p2m query is needed (natively one would page gfns in).
     */
    private GfnBitmap refilledBeforeSwitch;
    private volatile long unpausedAt;
    /** Why the guest stopped here before its last page arrived (set once by {@link #checkGuestAlive}), or null. */
    private volatile String guestLost;
    private volatile long expectedCount;
    private final CountDownLatch allLoaded = new CountDownLatch(1);

    final AtomicLong loaded = new AtomicLong();
    final AtomicLong duplicates = new AtomicLong();
    final AtomicLong rejected = new AtomicLong();
    final AtomicLong networkFaults = new AtomicLong();
    final AtomicLong prepagedHits = new AtomicLong();
    final LatencyRecorder faultLatency = new LatencyRecorder();
    private volatile long resumedAt;
    private volatile long lastLoadedAt;
    private volatile long opsAtResume = -1;
    private volatile long opsAtCompletion = -1;
    private volatile long touchedAtCompletion = -1;

    private FaultService faults;
    private volatile DemandQueue demand;
    private final List<Runnable> stoppables = new ArrayList<>();

    /** A fault not yet answered: the requests waiting for one gfn, each with when it was taken off the ring. */
    static final class PendingFault {
        final List<PagingRequest> requests = new ArrayList<>(1);
        final List<Long> since = new ArrayList<>(1);

        void add(PagingRequest r, long takenAt) {
            requests.add(r);
            since.add(takenAt);
        }
    }

    private IncomingMigration(String id, XenHost host, DomainId domain, PagingSession paging, Mode mode,
                              long gfnCount) {
        this.id = id;
        this.mode = mode;
        this.host = host;
        this.domain = domain;
        this.gfnCount = gfnCount;
        this.paging = paging;
        this.loadedBits = new AtomicLongArray((int) ((gfnCount + 63) >>> 6));
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Object();
        }
    }

    /**
     * Creates the domain paused, becomes its pager and pages every gfn out (holes are given back instead), so the
     * guest can start here the moment its vCPU state arrives.
     */
    static IncomingMigration prepare(String id, XenHost host, DomainConfig config, long targetKiB, GfnBitmap holes) {
        return prepare(id, host, config, targetKiB, holes, Mode.POSTCOPY);
    }

    static IncomingMigration prepare(String id, XenHost host, DomainConfig config, long targetKiB, GfnBitmap holes,
                                     Mode mode) {
        DomainId domain = host.domains().create(config, false);
        PagingSession paging = null;
        try {
            long here = host.memory().gfnCount(domain);
            if (here > holes.size()) {
                // gfns above the source's physmap would keep this host's boot contents: refuse, corrupt nothing.
                throw new XenException("prepare", org.xenpostcopy.xen.Errno.EINVAL, domain + " spans " + here
                        + " gfns here but the source's physmap has " + holes.size());
            }
            if (targetKiB > 0) {
                host.store().write(XenStore.domainPath(domain) + "/memory/target", Long.toString(targetKiB));
            }
            if (mode != Mode.PRECOPY) {
                paging = host.paging().enable(domain);
            }
            // This host's toolstack pages (xenstore and console rings, ...) stay as its toolstack set them up.
            GfnBitmap own = new GfnBitmap(holes.size());
            for (Gfn g : host.domains().toolstackPages(domain)) {
                if (g.value() < own.size()) {
                    own.set(g.value());
                }
            }
            GfnBitmap giveBack = holes.copy();
            giveBack.andNot(own);
            host.domains().decreaseReservation(domain, giveBack);
            if (mode == Mode.POSTCOPY) {
                for (long g = 0; g < holes.size(); g++) {
                    if (!holes.get(g) && !own.get(g)) {
                        Gfn gfn = Gfn.of(g);
                        paging.nominate(gfn);
                        paging.evict(gfn);
                    }
                }
            }
            IncomingMigration m = new IncomingMigration(id, host, domain, paging, mode, holes.size());
            m.preparedHoles = holes.copy();
            m.refilledBeforeSwitch = new GfnBitmap(holes.size());
            return m;
        } catch (RuntimeException e) {
            if (paging != null) {
                paging.close();
            }
            host.domains().destroy(domain);
            throw e;
        }
    }

    /**
     * Starts the fault service and the demand connection to the source. Done at prepare, so none of it counts
     * toward the downtime.
     */
    void startServices(InetSocketAddress source, LinkShaper link) {
        DemandFetcher fetcher = new DemandFetcher(this, source, link);
        faults = new FaultService(this, paging);
        demand = fetcher;
        stoppables.add(faults::stop);
        stoppables.add(fetcher::stop);
        faults.start();
        fetcher.start();
    }

    /** For tests and other drivers of the ring: where network faults are sent instead of a demand connection. */
    void attachDemandQueue(DemandQueue queue) {
        demand = queue;
    }

    /** Something that fetches pages from the source. */
    interface DemandQueue {
        void request(long gfn);
    }

    public Phase phase() {
        return phase.get();
    }

    /** The one guarded transition: from {@code from} to {@code to}, or an exception naming both. */
    void advance(Phase from, Phase to) {
        if (!phase.compareAndSet(from, to)) {
            throw new IllegalStateException("session " + id + " is " + phase.get() + ", cannot go from " + from + " to " + to);
        }
        LOG.log(Level.DEBUG, "session {0}: {1} -> {2}", id, from, to);
    }

    /**
     * The switch: mirror the final hole map, load the vCPU state, start serving faults, unpause. Returns the
     * nanoseconds it took (part of the downtime).
     */
    long resume(List<VcpuState> vcpus, GfnBitmap finalHoles) {
        return resume(vcpus, finalHoles, null, 0, 0);
    }

    /**
     * The switch. Waits (up to {@code waitMs}) until every page pushed before it has been written, then mirrors the
     * final hole map, pages out what is still to come (hybrid), loads the vCPU state and unpauses. Returns the
     * nanoseconds from the last pre-copy page to the unpause.
     *
     * @param outstanding hybrid: the gfns still to come by post-copy; null otherwise
     */
    long resume(List<VcpuState> vcpus, GfnBitmap finalHoles, GfnBitmap outstanding, long pagesSentBefore, long waitMs) {
        awaitPrecopyPages(pagesSentBefore, waitMs);
        long t0 = System.nanoTime();
        advance(Phase.PREPARED, Phase.RUNNING);
        // Only what the balloon changed since prepare is redone here: holes that appeared are given back;
        // pages that came back are populated (and, post-copy, paged out like the rest).
        GfnBitmap appeared = finalHoles.copy();
        appeared.andNot(preparedHoles);
        if (!appeared.isEmpty()) {
            host.domains().decreaseReservation(domain, appeared);
        }
        GfnBitmap refill = preparedHoles.copy();
        refill.andNot(finalHoles);
        synchronized (refilledBeforeSwitch) {
            refill.andNot(refilledBeforeSwitch);
        }
        if (!refill.isEmpty()) {
            host.domains().populate(domain, refill);
            if (mode == Mode.POSTCOPY) {
                evict(refill);
            }
        }
        GfnBitmap exp;
        switch (mode) {
            case POSTCOPY -> {
                exp = GfnBitmap.full(gfnCount);
                exp.andNot(finalHoles);
            }
            case HYBRID -> {
                if (outstanding == null) {
                    throw new IllegalArgumentException("a hybrid resume must name the outstanding pages");
                }
                exp = outstanding.copy();
                exp.andNot(finalHoles);
                evict(exp);
            }
            default -> exp = new GfnBitmap(gfnCount);
        }
        expectedCount = exp.cardinality();
        expected = exp;
        for (VcpuState v : vcpus) {
            host.domains().setVcpuState(domain, v);
        }
        Optional<GuestProbe> probe = host.guestProbe();
        probe.ifPresent(p -> opsAtResume = p.operations(domain));
        resumedAt = System.nanoTime();
        host.domains().unpause(domain);
        unpausedAt = System.nanoTime();
        if (expectedCount == 0) {
            lastLoadedAt = resumedAt;
            probe.ifPresent(p -> {
                opsAtCompletion = opsAtResume;
                touchedAtCompletion = p.pagesTouched(domain);
            });
            allLoaded.countDown();
        }
        return unpausedAt - t0;
    }

    private void evict(GfnBitmap gfns) {
        gfns.forEach(g -> {
            paging.nominate(Gfn.of(g));
            paging.evict(Gfn.of(g));
        });
    }

    private void awaitPrecopyPages(long count, long waitMs) {
        if (count <= 0) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        synchronized (switchLock) {
            while (receivedBeforeSwitch.get() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("only " + receivedBeforeSwitch.get() + " of the " + count
                            + " pre-copy pages arrived within " + waitMs + " ms");
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(switchLock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for pre-copy pages");
                }
            }
        }
    }

    /**
     * A page pushed before the switch (pre-copy, hybrid): written straight into guest memory, replacing what an
     * earlier round sent. A gfn the guest had ballooned out is populated again first.
     */
    void deliverPrecopy(long gfn, ByteBuffer page) {
        if (mode == Mode.POSTCOPY || gfn < 0 || gfn >= gfnCount) {
            rejected.incrementAndGet();
            LOG.log(Level.WARNING, "session {0}: refused a pre-copy page for gfn 0x{1}", id, Long.toHexString(gfn));
            return;
        }
        Gfn g = Gfn.of(gfn);
        synchronized (refilledBeforeSwitch) {
            // Populated under the lock, so a second copy of the page cannot be written before the gfn exists.
            if (preparedHoles.get(gfn) && !refilledBeforeSwitch.get(gfn)) {
                GfnBitmap one = new GfnBitmap(gfnCount);
                one.set(gfn);
                host.domains().populate(domain, one);
                refilledBeforeSwitch.set(gfn);
            }
        }
        host.memory().write(domain, g, page);
        receivedBeforeSwitch.incrementAndGet();
        synchronized (switchLock) {
            switchLock.notifyAll();
        }
    }

    /** Gives the guest its memory target back after self-ballooning shrank it at the source. */
    void restoreTarget(long kib) {
        if (kib > 0) {
            host.store().write(XenStore.domainPath(domain) + "/memory/target", Long.toString(kib));
        }
    }

    /**
     * A page arrived (by push or by demand). Loaded at once if it is expected and not loaded yet; a duplicate is
     * counted and dropped; a page for a hole or out of range is refused. Never loads anything twice.
     */
    void deliver(long gfn, ByteBuffer page) {
        if (guestLost != null) {
            return;
        }
        GfnBitmap exp = expected;
        if (exp == null || gfn < 0 || gfn >= gfnCount || !exp.get(gfn)) {
            rejected.incrementAndGet();
            LOG.log(Level.WARNING, "session {0}: refused a page for gfn 0x{1} (not expected)", id, Long.toHexString(gfn));
            return;
        }
        PendingFault waiting;
        synchronized (stripe(gfn)) {
            if (isLoaded(gfn)) {
                duplicates.incrementAndGet();
                return;
            }
            try {
                paging.load(Gfn.of(gfn), page);
            } catch (XenException e) {
                checkGuestAlive();      // a guest that died since the last check makes every load fail
                if (guestLost != null) {
                    return;
                }
                throw e;
            }
            setLoaded(gfn);
            waiting = pending.remove(gfn);
        }
        if (waiting != null) {
            answer(waiting);
        }
        if (loaded.incrementAndGet() == expectedCount) {
            lastLoadedAt = System.nanoTime();
            host.guestProbe().ifPresent(p -> {
                opsAtCompletion = p.operations(domain);
                touchedAtCompletion = p.pagesTouched(domain);
            });
            allLoaded.countDown();
        }
    }

    /**
     * A request taken off the ring: answered at once if its page is here (a pre-paged hit), else it waits for the
     * page and, if it is the first to want it, asks the source (a network fault).
     *
     * @return true if it was answered now (the caller pushes the responses)
     */
    boolean onRequest(PagingRequest r, long takenAt) {
        long gfn = r.gfn().value();
        synchronized (stripe(gfn)) {
            if (!isLoaded(gfn)) {
                boolean[] fresh = {false};
                PendingFault pf = pending.computeIfAbsent(gfn, g -> {
                    fresh[0] = true;
                    return new PendingFault();
                });
                pf.add(r, takenAt);
                if (fresh[0]) {
                    networkFaults.incrementAndGet();
                    demand.request(gfn);
                }
                return false;
            }
        }
        prepagedHits.incrementAndGet();
        faultLatency.record(System.nanoTime() - takenAt);
        return true;
    }

    /** Answers every request waiting on one page (from whichever thread loaded it). */
    private void answer(PendingFault pf) {
        ring.lock();
        try {
            for (PagingRequest r : pf.requests) {
                paging.respond(r);
            }
            paging.pushResponses();
        } finally {
            ring.unlock();
        }
        long now = System.nanoTime();
        for (long t : pf.since) {
            faultLatency.record(now - t);
        }
    }

    ReentrantLock ringLock() {
        return ring;
    }

    private Object stripe(long gfn) {
        return stripes[(int) (gfn & (STRIPES - 1))];
    }

    private boolean isLoaded(long gfn) {
        return (loadedBits.get((int) (gfn >>> 6)) & (1L << gfn)) != 0;
    }

    private void setLoaded(long gfn) {
        int i = (int) (gfn >>> 6);
        long bit = 1L << gfn;
        long w;
        do {
            w = loadedBits.get(i);
        } while (!loadedBits.compareAndSet(i, w, w | bit));
    }

    /** Waits until every expected page is loaded. */
    boolean awaitAllLoaded(long timeoutMs) throws InterruptedException {
        return allLoaded.await(timeoutMs, TimeUnit.MILLISECONDS);
    }

    long expectedCount() {
        return expectedCount;
    }

    long postCopyNanos() {
        return lastLoadedAt - resumedAt;
    }

    long opsAtResume() {
        return opsAtResume;
    }

    long touchedAtCompletion() {
        return touchedAtCompletion;
    }

    long opsAtCompletion() {
        return opsAtCompletion;
    }

    /** Stops the fault and demand threads and gives up the pager role. */
    void finish() {
        stoppables.forEach(Runnable::run);
        if (paging != null) {
            paging.close();
        }
    }

    /** Tears a session down before its guest ever ran here. */
    void abort() {
        advance(Phase.PREPARED, Phase.ABORTED);
        finish();
        host.domains().destroy(domain);
    }

    Optional<GuestProbe> probe() {
        return host.guestProbe();
    }

    /**
     * Called by the fault thread about once a second while pages are still coming: if the guest no longer runs
     * here (it crashed, was shut down or destroyed), the session cannot finish. Records why, once, and wakes
     * whoever waits for the last page. The pages still at the source are then the only copy of a guest that is
     * gone; nothing here can use them.
     */
    void checkGuestAlive() {
        if (guestLost != null || phase.get() != Phase.RUNNING || allLoaded.getCount() == 0) {
            return;
        }
        String why;
        try {
            DomainInfo.State state = host.domains().info(domain).state();
            if (state == DomainInfo.State.RUNNING || state == DomainInfo.State.PAUSED) {
                return;
            }
            why = domain + (state == DomainInfo.State.SHUTDOWN ? " shut down (crashed, rebooted or powered off)"
                    : " is being destroyed");
        } catch (XenException e) {
            why = domain + " is gone (" + e.getMessage() + ")";
        }
        guestLost = why + " after " + loaded.get() + " of " + expectedCount + " post-copy pages had arrived";
        LOG.log(Level.ERROR, "session {0}: the guest stopped on this host during post-copy: {1}", id, guestLost);
        allLoaded.countDown();
    }

    /** Why the guest stopped here before its last page arrived, or null while it runs. */
    String guestLost() {
        return guestLost;
    }


    /** Where a demand fetch failed for good, for the completion report. */
    void demandFailed(String why) {
        LOG.log(Level.ERROR, "session {0}: demand connection to the source failed: {1}", id, why);
        demandFailure = why;
    }

    volatile String demandFailure;
}
