package org.xenpostcopy.migration.destination;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.Function;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.PhaseMachine;
import org.xenpostcopy.migration.link.LinkShaper;
import org.xenpostcopy.migration.peer.Complete;
import org.xenpostcopy.migration.peer.Completion;
import org.xenpostcopy.migration.peer.LinkState;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.migration.peer.Resume;
import org.xenpostcopy.migration.peer.SourcePeer;
import org.xenpostcopy.migration.peer.WireBytes;
import org.xenpostcopy.migration.report.LatencyRecorder;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.pager.PagerLoop;

/**
 * One incoming migration: its phases ({@link DestinationPhase}) and the parts that run in each — the
 * {@link PrecopyWriter} before the switch, the {@link HoleMirror} at it, and after it the {@link ArrivalLedger}
 * fed by pushed and fetched pages, the {@link PagerLoop} on the ring and the {@link DemandFetcher} on the urgent
 * channel; with checkpoints, the {@link Checkpointer} sending the guest's changes back, and the
 * {@link SourceLease} the guest runs on.
 */
final class IncomingMigration {
    private static final Logger LOG = System.getLogger(IncomingMigration.class.getName());
    /** How often the pager loop asks Xen whether the guest still runs here. */
    private static final long WATCH_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How long the ring must stay empty at completion before paging is turned off. */
    private static final long DRAIN_QUIET_MS = 50;

    final String id;
    final MigrationMode mode;
    final DomainId domain;
    final long gfnCount;
    /** The domain's name, which no second incoming session may have at the same time. */
    final String domainName;
    private final XenHost host;
    /** Silence (from the source, or on the demand channel) after which the link counts as cut. */
    private final long stallNanos;
    private final PhaseMachine<DestinationPhase> phase;
    private final DomainPreparer.PreparedDomain prepared;
    private final PrecopyWriter precopy;
    private final ArrivalLedger ledger;
    private final GuestWatch watch;
    private PagerLoop loop;
    /** Where the demand channel reaches the source's page server. */
    private volatile InetSocketAddress source;
    private DemandFetcher fetcher;
    private volatile String demandFailure;
    private volatile long resumedAt;
    /** When the resume call arrived: the guest's downtime here runs from it to its first instant. */
    private volatile long resumeArrivedAt = -1;
    /** What the connections this side opens (demand, checkpoints) carry. */
    private final WireBytes wire = new WireBytes();
    private final AtomicBoolean switching = new AtomicBoolean();
    /** When the source last did something with this session (prepare, a pushed batch, resume, a heartbeat). */
    private volatile long lastActivity = System.nanoTime();
    /**
     * The newest completion request: a request left waiting from before a cut may wake first, but the books are
     * closed with the newest (its count of re-sent pages is the right one).
     */
    volatile Complete newestComplete;
    /** Why the demand channel failed before the switch, if it did. */
    private volatile String cutBeforeSwitch;
    private volatile long opsAtResume = -1;
    private volatile long opsAtCompletion = -1;
    private volatile long touchedAtCompletion = -1;
    private volatile long minorFaultsAtCompletion = -1;
    private final Checkpointing checkpointing;
    private Checkpointer checkpointer;
    /** Set at the switch when checkpointing: the guest runs here only while it holds. */
    private volatile SourceLease lease;
    /** The guest is held paused because its lease ran out (the source may be restoring it from a checkpoint). */
    private volatile boolean fenced;
    /** Told, off the caller's thread, once the source took the guest back: the session is torn down. */
    private final Consumer<IncomingMigration> takenBackHook;
    private volatile String takenBackWhy;
    /** The source released the guest after completion: no lease binds it any more. */
    private volatile boolean released;
    /** Reconnects so far: a completion request older than the last one is superseded by the one to come. */
    private final java.util.concurrent.atomic.AtomicInteger recoveries = new java.util.concurrent.atomic.AtomicInteger();

    IncomingMigration(String id, String domainName, XenHost host, MigrationMode mode,
                      DomainPreparer.PreparedDomain prepared, long stallMs) {
        this(id, domainName, host, mode, prepared, stallMs, Checkpointing.off(), m -> { }, nanos -> { });
    }

    /**
     * @param takenBack told when the source answers that it took the guest back; it must tear the session down
     *                  with {@link #tearDownTakenBack} on a thread of its own
     * @param faultAnswered told each fault's latency in nanoseconds as the fault is answered
     */
    IncomingMigration(String id, String domainName, XenHost host, MigrationMode mode,
                      DomainPreparer.PreparedDomain prepared, long stallMs, Checkpointing checkpointing,
                      Consumer<IncomingMigration> takenBack, LongConsumer faultAnswered) {
        this.checkpointing = checkpointing;
        this.takenBackHook = takenBack;
        this.id = id;
        this.stallNanos = TimeUnit.MILLISECONDS.toNanos(stallMs);
        this.domainName = domainName;
        this.host = host;
        this.mode = mode;
        this.prepared = prepared;
        this.domain = prepared.domain();
        this.gfnCount = prepared.holes().size();
        this.phase = new PhaseMachine<>("session " + id, DestinationPhase.PREPARED);
        this.precopy = new PrecopyWriter(host, domain, prepared.holes());
        this.watch = new GuestWatch(host, domain, id);
        this.ledger = new ArrivalLedger(id, prepared.paging(), gfnCount, faultAnswered);
    }

    /**
     * Starts the pager loop and the demand channel (post-copy, hybrid). Done at prepare, so none of it counts
     * toward the downtime.
     *
     * @param source  where the source's page server is (a reconnect may move it)
     * @param connect opens the demand channel to a source address
     */
    void startPaging(InetSocketAddress source, Function<InetSocketAddress,
            SourcePeer> connect, LinkShaper link) {
        this.source = source;
        // Wired directly to each other, so a fault's path runs pager loop -> ledger -> fetcher and back without
        // passing through the session.
        fetcher = new DemandFetcher(domain.toString(), () -> connect.apply(this.source), ledger::deliverFetched,
                link, this::linkCut,
                this::demandFailed, Math.max(20, TimeUnit.NANOSECONDS.toMillis(stallNanos) / 5), this::leaseGranted,
                this::takenBackBySource, this::releasedBySource);
        if (checkpointing.enabled()) {
            checkpointer = new Checkpointer(id, host, domain, gfnCount, () -> connect.apply(this.source),
                    checkpointing.intervalMs(), this::mayCheckpoint, link, ledger::stillPagedOut);
        }
        loop = new PagerLoop(prepared.paging(), ledger, this::watchGuest, WATCH_NANOS);
        ledger.connect(fetcher::request, loop::answer);
        loop.start();
        fetcher.start();
    }

    DestinationPhase phase() {
        return phase.phase();
    }

    /**
     * Whether a reverse checkpoint may start: the guest runs here and is not fenced, and some page is still to come.
     * Once every page is here this host holds the whole guest and the completion follows; a checkpoint started then
     * would only spend dom0's CPU, and the completion would wait for it.
     */
    private boolean mayCheckpoint() {
        return phase.phase() == DestinationPhase.RUNNING && !fenced && !ledger.allLoaded();
    }

    /** The guest runs here and the session has not ended (whether or not the link is up). */
    boolean isLive() {
        DestinationPhase p = phase.phase();
        return p == DestinationPhase.RUNNING || p == DestinationPhase.PAUSED || p == DestinationPhase.RECOVERING;
    }

    /**
     * The switch. Waits until every page pushed before it has been written, mirrors the final hole map, loads the
     * vCPU state and unpauses. Returns the nanoseconds from the last pre-copy page to the unpause.
     */
    long resume(Resume request, long precopyWaitMs) {
        lastActivity = System.nanoTime();
        long arrived = lastActivity;
        if (phase.phase() != DestinationPhase.PREPARED || !switching.compareAndSet(false, true)) {
            throw new IllegalStateException("session " + id + " is " + phase.phase() + " or already switching");
        }
        try {
            return switchHere(request, precopyWaitMs, arrived);
        } finally {
            switching.set(false);
        }
    }

    /**
     * Everything that can fail happens while the phase is still PREPARED, so a failed resume leaves a session the
     * source can abort (and then resume its own copy); the move to RUNNING comes just before the unpause.
     */
    private long switchHere(Resume request, long precopyWaitMs, long arrived) {
        resumeArrivedAt = arrived;
        // Part of the downtime: the guest is stopped while the stop-and-copy's last pages are still on their way.
        precopy.awaitWritten(request.pagesSentBefore(), precopyWaitMs);
        long tPrecopy = System.nanoTime();
        GfnBitmap toCome = new HoleMirror(host, domain, prepared.paging(), mode).mirror(prepared.holes(),
                prepared.toolstackPages(), precopy.refilled(), request.unpopulated(),
                request.outstanding().orElse(null));
        long tHoles = System.nanoTime();
        for (VcpuState v : request.vcpus()) {
            host.domains().setVcpuState(domain, v);
        }
        Optional<GuestProbe> probe = host.guestProbe();
        probe.ifPresent(p -> opsAtResume = p.operations(domain));
        writeTarget(request.targetKiB());
        long tState = System.nanoTime();
        if (checkpointer != null) {
            checkpointer.armBeforeResume();
            // From the resume's arrival, not the unpause: the source counts its first grant from the call, and the
            // switch here may wait long for pre-copy pages in flight. A lease run out by then is fenced at once.
            lease = new SourceLease(checkpointing.leaseMs(), arrived);
        }
        long tArmed = System.nanoTime();
        phase.advance(DestinationPhase.PREPARED, DestinationPhase.RUNNING);
        resumedAt = System.nanoTime();
        ledger.expect(toCome, this::lastPageLoaded);
        host.domains().unpause(domain);
        long nanos = System.nanoTime() - arrived;
        // Where the destination's share of the downtime goes (the source logs its own share).
        LOG.log(Level.DEBUG, "session {0}: unpaused {1} ms after the resume arrived = pre-copy pages {2} + hole map "
                + "{3} + vCPUs and target {4} + dirty log {5} + unpause {6}", id, ms(nanos), ms(tPrecopy - arrived),
                ms(tHoles - tPrecopy), ms(tState - tHoles), ms(tArmed - tState), ms(arrived + nanos - tArmed));
        if (checkpointer != null) {
            checkpointer.start();
        }
        if (cutBeforeSwitch != null) {
            linkCut("the demand channel failed before the switch: " + cutBeforeSwitch);
        }
        return nanos;
    }

    private static String ms(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.3f", nanos / 1e6);
    }

    /**
     * Pages from the push channel: written before the switch (pre-copy), loaded after it. False if the batch was
     * refused whole (wrong phase, guest lost).
     */
    boolean receive(PageBatch batch) {
        lastActivity = System.nanoTime();
        DestinationPhase now = phase.phase();
        boolean beforeSwitch = now == DestinationPhase.PREPARED;
        if (beforeSwitch && mode == MigrationMode.POSTCOPY || now.compareTo(DestinationPhase.RECOVERING) > 0
                || watch.lost() != null) {
            refuse("a push batch in phase " + now);
            return false;
        }
        batch.forEach((gfn, page) -> {
            if (!beforeSwitch) {
                deliver(gfn, page);
            } else if (gfn < 0 || gfn >= gfnCount) {
                refuse("a pre-copy page for gfn 0x" + Long.toHexString(gfn) + ", outside the domain");
            } else {
                precopy.write(gfn, page);
            }
        });
        return true;
    }

    /** Counts a batch refused whole (malformed, or in the wrong phase); nothing of it is loaded. */
    void refuse(String why) {
        ledger.countRejected();
        LOG.log(Level.WARNING, "session {0}: refused {1}", id, why);
    }

    private void deliver(long gfn, ByteBuffer page) {
        if (watch.lost() != null) {
            return;
        }
        try {
            ledger.deliver(gfn, page);
        } catch (XenException e) {
            watchGuest();      // a guest that died since the last check makes every load fail
            if (watch.lost() == null) {
                throw e;
            }
        }
    }

    private void watchGuest() {
        if (watch.check(() -> isLive() && !ledger.allLoaded(),
                ledger.loaded() + " of " + ledger.expectedCount() + " post-copy pages had arrived")) {
            ledger.abandon();
        }
    }

    /** Takes the guest's counts as the last page lands: the post-copy span ends here, for every figure at once. */
    private void lastPageLoaded() {
        host.guestProbe().ifPresent(p -> {
            opsAtCompletion = p.operations(domain);
            // One picture of the accessed bits for both counts: the guest runs on and would slip a touch between two.
            p.touchedPages(domain).map(ledger::touchCensus).ifPresentOrElse(census -> {
                touchedAtCompletion = census.touched();
                minorFaultsAtCompletion = census.minor();
            }, () -> touchedAtCompletion = p.pagesTouched(domain));
        });
    }

    private void demandFailed(String why) {
        watchGuest();     // a guest that died here makes every load fail: that is the news, not the channel
        if (watch.lost() == null) {
            LOG.log(Level.ERROR, "session {0}: demand connection to the source failed: {1}", id, why);
            demandFailure = why;
        }
    }

    /** Waits until every expected page is loaded or the guest is lost; true if all were loaded. */
    boolean awaitAllLoaded(long timeoutMs) throws InterruptedException {
        // In slices, so a pager loop that died (nothing else wakes the waiter then) ends the wait within a second.
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (ledger.await(Math.max(0, Math.min(left, 1000)))) {
                return true;
            }
            if (left <= 0 || loadFailure() != null || watch.lost() != null) {
                return false;
            }
        }
    }

    /**
     * Leaves {@code RUNNING} for {@code to} (COMPLETED or LOST) and stops the paging threads. On completion the
     * ring is drained first: a vCPU that faulted just as its page loaded has a request on the ring that nobody
     * else would answer once paging is off.
     */
    void finish(DestinationPhase to) {
        if (!phase.advanceTo(to)) {
            throw new IllegalStateException("session " + id + " is " + phase.phase() + " and cannot become " + to);
        }
        if (to == DestinationPhase.COMPLETED && loop != null) {
            try {
                loop.drainAndStop(DRAIN_QUIET_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (to == DestinationPhase.COMPLETED && lease != null && !released) {
            // The source still holds its copy until it hears the completion: the lease (and the pings that renew
            // it) go on until it says it released the guest, or a fail-back of that copy could run beside this one.
            stopPagingButPing();
        } else {
            stopPaging();
        }
    }

    /** Whether the lease still binds this session's guest: until the source released it after completion. */
    boolean holdsLease() {
        return lease != null && !released && (isLive() || phase.phase() == DestinationPhase.COMPLETED);
    }

    /**
     * The source destroyed its copy after the completion: the guest is this host's alone and runs on no lease.
     * Idempotent; said by the source's {@code released} call or its answer to a ping.
     */
    void releasedBySource() {
        synchronized (this) {
            if (released || lease == null) {
                return;
            }
            released = true;
            if (fenced) {
                host.domains().unpause(domain);
                fenced = false;
            }
            notifyAll();
        }
        LOG.log(Level.INFO, "session {0}: the source released the guest; it runs here on no lease", id);
        if (phase.phase() == DestinationPhase.COMPLETED && fetcher != null) {
            // Not on the fetcher's own thread: it is told so on that thread, and the join would wait for itself.
            Thread t = new Thread(fetcher::stop, "release-" + id);
            t.setDaemon(true);
            t.start();
        }
    }

    /** Waits while the guest is held for want of a lease; true once it is not. */
    synchronized boolean awaitUnfenced(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        long left;
        while (fenced && (left = deadline - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return !fenced;
    }

    /**
     * The source spoke (a heartbeat). Returns this side's view of the link for the source to act on: a PAUSED
     * here (the demand channel was cut) makes the source reconnect even if its own connections look fine.
     */
    LinkState heartbeat() {
        lastActivity = System.nanoTime();
        // A guest that died here is news the source must hear now, not after pushing pages nobody will load.
        String phaseName = isLive() && guestLost() != null ? DestinationPhase.LOST.name()
                // Held for want of a lease while the source still speaks: its pings stopped (a demand channel that
                // failed for good). PAUSED makes the source reconnect, which opens a new one.
                : isLive() && fenced ? DestinationPhase.PAUSED.name() : phase.phase().name();
        long ops = host.guestProbe().map(p -> p.operations(domain)).orElse(-1L);
        return new LinkState(phaseName, ledger.settled(), Math.max(0, ledger.expectedCount()), ops);
    }

    /**
     * Counts the link as cut: the session pauses (vCPUs that fault keep waiting; the pages already here stay), the
     * demand channel is closed, and nothing reopens until the source reconnects. Idempotent.
     */
    void linkCut(String why) {
        if (phase.phase() == DestinationPhase.PREPARED) {
            cutBeforeSwitch = why;     // nothing to pause yet: the session pauses as soon as the guest runs here
        }
        if (phase.tryAdvance(DestinationPhase.RUNNING, DestinationPhase.PAUSED)
                || phase.tryAdvance(DestinationPhase.RECOVERING, DestinationPhase.PAUSED)) {
            LOG.log(Level.WARNING, "session {0}: link to the source cut ({1}); {2} of {3} pages here, waiting for"
                    + " the source to reconnect", id, why, ledger.settled(), ledger.expectedCount());
        }
        if (fetcher != null) {
            fetcher.suspend();
        }
    }

    /** Pauses a running session whose source has gone silent, or whose demand reply is overdue. */
    void checkLink(long now) {
        checkLease(now);
        DestinationPhase p = phase.phase();
        if (p != DestinationPhase.RUNNING && p != DestinationPhase.RECOVERING) {
            return;
        }
        if (now - lastActivity > stallNanos) {
            linkCut("no word from the source for " + TimeUnit.NANOSECONDS.toMillis(now - lastActivity) + " ms");
        } else if (fetcher != null && fetcher.inFlightNanos(now) > stallNanos) {
            linkCut("a demand reply overdue by " + TimeUnit.NANOSECONDS.toMillis(fetcher.inFlightNanos(now)) + " ms");
        }
    }

    /**
     * Holds the guest paused while its lease has run out, and lets it run again once a reply renews it: a source
     * that heard nothing for a lease may be restoring it from a checkpoint, and two copies must never run.
     */
    private void checkLease(long now) {
        SourceLease l = lease;
        if (l == null || !holdsLease()) {
            return;
        }
        synchronized (this) {
            if (!fenced && !l.valid(now)) {
                host.domains().pauseWithoutWaiting(domain);
                fenced = true;
                LOG.log(Level.WARNING, "session {0}: no grant from the source for {1} ms; {2} held paused, since the"
                        + " source may take it back", id, checkpointing.leaseMs() - l.leftMs(now), domain);
            } else if (fenced && l.valid(now) && takenBackWhy == null) {
                host.domains().unpause(domain);
                fenced = false;
                notifyAll();
                LOG.log(Level.INFO, "session {0}: the source renewed the lease; {1} runs again", id, domain);
            }
        }
    }

    private void leaseGranted(long sentAt) {
        SourceLease l = lease;
        if (l != null) {
            l.renew(sentAt);
        }
    }

    int recoveries() {
        return recoveries.get();
    }

    /** Whether the guest is held paused for want of a lease. */
    boolean fenced() {
        return fenced;
    }

    /** The source says it took the guest back (on a fetch, or its own call): the copy here must never run. */
    void takenBackBySource(String why) {
        if (markTakenBack(why)) {
            takenBackHook.accept(this);
        }
    }

    /**
     * As {@link #takenBackBySource}, but the copy is destroyed on the caller's thread before this returns (which
     * must not be one of the session's own: a prepare of the same domain name that found this session stale).
     */
    void takenBackNow(String why) {
        markTakenBack(why);
        tearDownTakenBack();
    }

    /** Holds the copy paused for good; false if it was so already or the session is over. */
    private synchronized boolean markTakenBack(String why) {
        if (takenBackWhy != null || !isLive()) {
            return false;
        }
        takenBackWhy = why;
        if (!fenced) {
            // Should not happen (the source waits out every lease it granted), but if the clocks ran apart
            // further than it allows for, this ends the overlap now.
            LOG.log(Level.ERROR, "session {0}: the source took the guest back while its lease here held", id);
            host.domains().pauseWithoutWaiting(domain);
            fenced = true;
        }
        return true;
    }

    /** Whether this session's domain still exists here (an administrator may have destroyed it). */
    boolean domainExists() {
        try {
            return host.domains().info(domain).name().equals(domainName);
        } catch (RuntimeException gone) {
            return false;
        }
    }

    /**
     * The domain is gone (destroyed here behind the session's back): the session ends as LOST, or ABORTED before
     * the switch, and its threads stop. Nothing is destroyed: there is nothing left to.
     */
    void forgetGoneDomain() {
        if (!phase.tryAdvance(DestinationPhase.PREPARED, DestinationPhase.ABORTED)) {
            phase.advanceTo(DestinationPhase.LOST);
        }
        LOG.log(Level.WARNING, "session {0}: {1} no longer exists here; the session ends", id, domain);
        stopPaging();
    }

    /** Where the demand channel reaches the session's source's page server. */
    InetSocketAddress source() {
        return source;
    }

    /** Destroys the copy here after the source took the guest back; idempotent. */
    void tearDownTakenBack() {
        if (!phase.advanceTo(DestinationPhase.TAKEN_BACK)) {
            return;
        }
        LOG.log(Level.WARNING, "session {0}: the source took the guest back ({1}); {2} destroyed here", id,
                takenBackWhy, domain);
        stopPaging();
        host.domains().destroy(domain);
    }

    /**
     * The first step of a recovery: the source is back on fresh connections. The demand channel is closed (it
     * reopens at {@link #recovered}) and the pages still missing are returned, for the source to send again.
     */
    GfnBitmap reconnect(InetSocketAddress from) {
        lastActivity = System.nanoTime();
        source = from;
        recoveries.incrementAndGet();
        if (!phase.advanceTo(DestinationPhase.RECOVERING) && phase.phase() != DestinationPhase.RECOVERING) {
            throw new IllegalStateException("session " + id + " is " + phase.phase() + ": nothing to reconnect");
        }
        if (fetcher != null) {
            fetcher.suspend();
        }
        return ledger.missing();
    }

    /** The last step of a recovery: the demand channel reopens and every fault still waiting is asked again. */
    void recovered() {
        lastActivity = System.nanoTime();
        phase.advance(DestinationPhase.RECOVERING, DestinationPhase.RUNNING);
        if (fetcher != null) {
            fetcher.reconnect(ledger.waitingGfns());
        }
        LOG.log(Level.INFO, "session {0}: recovered; {1} of {2} pages here", id, ledger.settled(),
                ledger.expectedCount());
    }

    /** Tears a session down before its guest ever ran here. */
    void abort() {
        if (switching.get()) {
            throw new IllegalStateException("session " + id + " is switching: the resume decides");
        }
        phase.advance(DestinationPhase.PREPARED, DestinationPhase.ABORTED);
        stopPaging();
        host.domains().destroy(domain);
    }

    /** Stops the session's threads and leaves its domain as it is: the agent is closing. */
    void stopThreads() {
        stopPaging();
    }

    /** Stops everything but the demand channel's pings, which keep renewing the lease after completion. */
    private void stopPagingButPing() {
        if (checkpointer != null) {
            checkpointer.stop();
        }
        if (loop != null) {
            loop.close();
        }
        if (prepared.paging() != null) {
            prepared.paging().close();
        }
    }

    private void stopPaging() {
        if (checkpointer != null) {
            checkpointer.stop();
        }
        if (loop != null) {
            loop.close();
        }
        if (fetcher != null) {
            fetcher.stop();
        }
        if (prepared.paging() != null) {
            prepared.paging().close();
        }
    }

    /** Sets the guest's memory/target (KiB; 0 = leave it): the source's at the switch, the original at the end. */
    void writeTarget(long kib) {
        if (kib > 0) {
            host.store().write(org.xenpostcopy.xen.XenStore.domainPath(domain) + "/memory/target", Long.toString(kib));
        }
    }

    /** What the connections this side opened for the session have carried. */
    WireBytes wire() {
        return wire;
    }

    /** How the guest lived the migration here, as far as the host can tell. */
    Completion.GuestTime guestTime() {
        Optional<GuestProbe> probe = host.guestProbe();
        if (probe.isEmpty()) {
            return Completion.GuestTime.UNKNOWN;
        }
        Completion.Latency blocked = probe.get().faultWaitNanos(domain).map(LatencyRecorder::percentiles)
                .map(p -> new Completion.Latency(p.p50(), p.p99(), p.max())).orElse(null);
        long firstRan = probe.get().runBounds(domain).map(GuestProbe.RunBounds::firstRanAt).orElse(-1L);
        long arrived = resumeArrivedAt;
        double firstRanMs = firstRan >= 0 && arrived >= 0 ? Math.max(0, firstRan - arrived) / 1e6 : -1;
        return new Completion.GuestTime(blocked, firstRanMs);
    }

    /**
     * The pager's waits (a request off the ring until answered) split by what brought the page: where a fault's tail
     * came from, the demand channel or the push (the source had sent the page already, or the push beat the fetch),
     * or nowhere (the page had landed while the request sat on the ring). Counted in requests off the ring, as the
     * pager's latency is: two vCPUs on one page wait twice.
     */
    Completion.PagerWaits pagerWaits() {
        return new Completion.PagerWaits(waitsOf(ledger.waitsForFetched()), waitsOf(ledger.waitsForPushed()),
                waitsOf(ledger.waitsForNothing()));
    }

    private static Completion.Waits waitsOf(LatencyRecorder r) {
        LatencyRecorder.Percentiles p = r.percentiles();
        return new Completion.Waits(r.count(), new Completion.Latency(p.p50(), p.p99(), p.max()));
    }

    /** The same split in one line, for the log. */
    static String line(Completion.PagerWaits w) {
        return line("a fetch's reply", w.byFetch()) + "; " + line("the push", w.byPush()) + "; "
                + line("a page already here", w.alreadyHere());
    }

    private static String line(String how, Completion.Waits w) {
        Completion.Latency l = w.latency();
        return String.format(java.util.Locale.ROOT, "%d requests by %s (p50 %.1f ms, p99 %.1f ms, max %.1f ms)",
                w.requests(), how, l.p50Us() / 1e3, l.p99Us() / 1e3, l.maxUs() / 1e3);
    }

    /** What the completion record is built from. */
    CompletionRecord.Tally tally() {
        return new CompletionRecord.Tally(ledger.loaded() + ledger.released() + precopy.pagesWritten(), ledger.loaded(),
                ledger.released(),
                ledger.duplicates(), ledger.rejected(), ledger.networkFaults(), minorFaultsAtCompletion,
                ledger.faultLatency(), ledger.lastLoadedAt() - resumedAt, opsAtResume, opsAtCompletion,
                touchedAtCompletion, domain.value());
    }

    /** Nanoseconds since the source last did something with this session. */
    long idleNanos(long now) {
        return now - lastActivity;
    }

    long expectedCount() {
        return ledger.expectedCount();
    }

    /** Post-copy pages loaded or given back by the guest so far. */
    long settledCount() {
        return ledger.settled();
    }

    long loadedCount() {
        return ledger.loaded();
    }

    /** Why the guest stopped here, checking now (not only at the next tick) whether it still runs. */
    String guestLost() {
        watchGuest();
        return watch.lost();
    }

    /** Why a page could not be loaded, or null. */
    String loadFailure() {
        if (ledger.failure() != null) {
            return ledger.failure();
        }
        Throwable loopFailed = loop == null ? null : loop.failure();
        return loopFailed == null ? null : "the pager loop stopped: " + loopFailed;
    }

    String demandFailure() {
        return demandFailure;
    }

    long checkpointsTaken() {
        return checkpointer == null ? 0 : checkpointer.committed();
    }

    /** The lease the guest will run on here (0: none). */
    int leaseMs() {
        return checkpointing.enabled() ? checkpointing.leaseMs() : 0;
    }

    long checkpointsDeferred() {
        return checkpointer == null ? 0 : checkpointer.deferred();
    }

    double checkpointPauseMs() {
        return checkpointer == null ? 0 : checkpointer.pauseMs();
    }
}
