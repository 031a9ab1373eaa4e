package org.xenpostcopy.migration.destination;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.link.LinkShaper;
import org.xenpostcopy.migration.peer.Complete;
import org.xenpostcopy.migration.peer.SourcePeer;
import org.xenpostcopy.migration.peer.WireBytes;
import org.xenpostcopy.migration.peer.Completion;
import org.xenpostcopy.migration.peer.LinkState;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.peer.Prepare;
import org.xenpostcopy.migration.peer.Resume;
import org.xenpostcopy.xen.ExitFence;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;

/**
 * This host as a migration destination: the sessions coming in, by id. Every call is checked against its
 * session's phase before anything is touched; host errors become {@link PeerException}s naming what failed.
 */
public final class IncomingMigrations implements AutoCloseable {
    private static final Logger LOG = System.getLogger(IncomingMigrations.class.getName());
    /** How often every live session's link is checked for silence. */
    private static final long LINK_CHECK_MS = 100;
    /** How long a resume waits for pre-copy pages still in flight on the push connection. */
    private static final long PRECOPY_WAIT_MS = 60_000;
    /** How often the sources of guests a previous daemon left on a lease are asked what became of them. */
    private static final long ASK_ORPHANS_MS = 1000;
    /** How long a stale session's source may take to answer whether it took the guest back. */
    private static final int ASK_SOURCE_MS = 5_000;
    /** Default {@link #IncomingMigrations(XenHost, PeerConnector, Duration) prepared idle limit}. */
    public static final Duration DEFAULT_PREPARED_IDLE_LIMIT = Duration.ofMinutes(10);

    private final XenHost host;
    private final PeerConnector peers;
    private final ConcurrentHashMap<String, IncomingMigration> sessions = new ConcurrentHashMap<>();
    /** Completed sessions whose guest still runs on the lease, until the source says it released it. */
    private final ConcurrentHashMap<String, IncomingMigration> holdingLease = new ConcurrentHashMap<>();
    private final FinishedSessions finished = new FinishedSessions();
    /** Names of the domains coming in: claimed before prepare starts, so two prepares cannot both pass. */
    private final Set<String> namesComingIn = ConcurrentHashMap.newKeySet();
    private final AtomicLong refusedBatches = new AtomicLong();
    private final Duration preparedIdleLimit;
    private final ScheduledExecutorService reaper;
    private final IncomingEvents events;
    /** Each guest running here on a lease, on disk, so a restarted daemon holds it until its source has spoken. */
    private final LeaseJournal leases;
    /** Per session whose guest runs here on its source's lease: what pauses it should this daemon die. */
    private final Map<String, ExitFence> fences = new ConcurrentHashMap<>();
    private final OrphanedLeases orphans;

    /** @param peers opens each session's demand channel back to its source */
    public IncomingMigrations(XenHost host, PeerConnector peers) {
        this(host, peers, DEFAULT_PREPARED_IDLE_LIMIT);
    }

    /**
     * @param preparedIdleLimit how long a prepared session may go without a word from its source before its
     *                          domain is destroyed (a source that died before the switch never comes back for it)
     */
    public IncomingMigrations(XenHost host, PeerConnector peers, Duration preparedIdleLimit) {
        this(host, peers, preparedIdleLimit, IncomingEvents.NONE);
    }

    /** @param events told of every fault answered and every session that ends (the daemon's metrics) */
    public IncomingMigrations(XenHost host, PeerConnector peers, Duration preparedIdleLimit, IncomingEvents events) {
        this(host, peers, preparedIdleLimit, events, LeaseJournal.none());
    }

    /**
     * @param leases where each guest that runs here on a source's lease is recorded; the guests a previous daemon
     *               left there are held paused from now until their sources say what became of them
     */
    public IncomingMigrations(XenHost host, PeerConnector peers, Duration preparedIdleLimit, IncomingEvents events,
                              LeaseJournal leases) {
        this.leases = leases;
        this.orphans = new OrphanedLeases(host, peers, leases);
        // First of all: a guest whose lease died with the previous daemon must not run on beside a restored one.
        orphans.holdAll();
        this.events = events;
        this.host = host;
        this.peers = peers;
        this.preparedIdleLimit = preparedIdleLimit;
        this.reaper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "incoming-reaper");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(1, Math.min(preparedIdleLimit.toMillis() / 4, 30_000));
        reaper.scheduleWithFixedDelay(() -> {
            try {
                reapIdle(System.nanoTime());
            } catch (RuntimeException e) {
                // A failed sweep must not end the sweeps (a scheduled task that throws is never run again).
                LOG.log(Level.ERROR, "reaping idle prepared sessions failed", e);
            }
        }, every, every, TimeUnit.MILLISECONDS);
        reaper.scheduleWithFixedDelay(() -> {
            try {
                orphans.askSources();
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "asking the sources of held guests failed", e);
            }
        }, 0, ASK_ORPHANS_MS, TimeUnit.MILLISECONDS);
        reaper.scheduleWithFixedDelay(() -> {
            try {
                checkLinks(System.nanoTime());
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "checking the links of incoming sessions failed", e);
            }
        }, LINK_CHECK_MS, LINK_CHECK_MS, TimeUnit.MILLISECONDS);
    }

    /** Pauses every live session whose source went silent; forgets completion records kept long enough. */
    void checkLinks(long now) {
        for (IncomingMigration m : sessions.values()) {
            checkOne(m, now);
        }
        for (IncomingMigration m : holdingLease.values()) {
            if (m.holdsLease()) {
                checkOne(m, now);
            } else if (holdingLease.remove(m.id, m)) {
                dropLease(m.id);
            }
        }
        finished.prune(now);
    }

    /** One session's check; a failure is its own, and the others are still checked (and fenced) this round. */
    private static void checkOne(IncomingMigration m, long now) {
        try {
            m.checkLink(now);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "session " + m.id + ": checking its link and lease failed", e);
        }
    }

    /** A session as a reconnecting source finds it: the pages it still misses, and its phase. */
    public record Reattached(GfnBitmap missing, String phase, long pagesSettled, long pagesReceived) {
    }
    /**
     * Destroys every prepared session whose source has been silent longer than the limit; returns how many. Only
     * sessions before the switch: after it the guest runs here and is never given up.
     */
    int reapIdle(long now) {
        int reaped = 0;
        for (IncomingMigration m : sessions.values()) {
            if (m.phase() != DestinationPhase.PREPARED || m.idleNanos(now) < preparedIdleLimit.toNanos()) {
                continue;
            }
            try {
                m.abort();
            } catch (IllegalStateException resumedMeanwhile) {
                continue;   // the resume won the race: the guest is this host's now
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "session {0}: destroying the idle prepared {1} failed: {2}", m.id, m.domain,
                        e.getMessage());
            }
            end(m);
            reaped++;
            LOG.log(Level.WARNING, "session {0}: no word from the source for {1} s before the switch; {2} destroyed",
                    m.id, preparedIdleLimit.toSeconds(), m.domain);
        }
        return reaped;
    }

    @Override
    /**
     * The agent is going away: the reaper and every session's threads (pager loop, demand channel, checkpoints)
     * stop. The domains stay as they are, as a daemon that dies leaves them: a persistent host re-attaches them, and
     * a prepared session nobody resumes is the next daemon's to reap.
     */
    public void close() {
        reaper.shutdownNow();
        for (IncomingMigration m : sessions.values()) {
            try {
                m.stopThreads();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "session {0}: stopping its threads failed: {1}", m.id, e.getMessage());
            }
        }
    }

    /** Ids of the migrations coming in now. */
    public Set<String> activeSessions() {
        return Set.copyOf(sessions.keySet());
    }

    /** How many migrations coming in now are in each phase; every phase is a key, most with 0. */
    public Map<DestinationPhase, Long> phases() {
        Map<DestinationPhase, Long> counts = new EnumMap<>(DestinationPhase.class);
        for (DestinationPhase p : DestinationPhase.values()) {
            counts.put(p, 0L);
        }
        for (IncomingMigration m : sessions.values()) {
            counts.merge(m.phase(), 1L, Long::sum);
        }
        return counts;
    }

    /** Whether a session of this id is coming in, or completed lately and its answer is kept. */
    public boolean knows(String sessionId) {
        return sessionId != null && (sessions.containsKey(sessionId) || finished.peek(sessionId) != null);
    }

    /** Push batches refused outright (unknown session, malformed, wrong phase), across all sessions. */
    public long refusedBatches() {
        return refusedBatches.get();
    }

    /** The physmap span of a session, which every gfn it names must be below. */
    public long gfnCount(String sessionId) {
        return session(sessionId).gfnCount;
    }

    public Prepare.Reply prepare(String sessionId, Prepare request) {
        long t0 = System.nanoTime();
        if (sessionId == null || sessionId.isBlank()) {
            throw PeerException.badRequest("prepare needs a session id");
        }
        if (sessions.containsKey(sessionId)) {
            throw new PeerException(RemoteError.WRONG_STATE, "session " + sessionId + " exists already");
        }
        String name = request.domain().name();
        if (!namesComingIn.add(name)) {
            String held = freeIfOver(name);
            if (held != null || !namesComingIn.add(name)) {
                throw new PeerException(RemoteError.WRONG_STATE, "a migration of '" + name + "' is already coming in"
                        + (held == null ? "" : held));
            }
        }
        try {
            return prepareClaimed(sessionId, request, t0);
        } catch (RuntimeException e) {
            namesComingIn.remove(name);
            throw e;
        }
    }

    /**
     * One migration per domain name, but only per live one: the session holding {@code name} is ended here if it is
     * over in all but its record — its domain was destroyed here, or its guest is held paused for want of a lease
     * and its source, asked now, answers that it took the guest back (a source whose {@code takenBack} call never
     * arrived). Returns null if the name is free again, else what holds it ("" for a session that simply lives).
     */
    private String freeIfOver(String name) {
        IncomingMigration m = sessions.values().stream().filter(s -> s.domainName.equals(name)).findFirst()
                .orElse(null);
        if (m == null) {
            return "";        // another prepare of the name is under way
        }
        if (!m.domainExists()) {
            m.forgetGoneDomain();
            end(m);
            return null;
        }
        if (!m.isLive() || !m.fenced()) {
            return "";
        }
        InetSocketAddress source = m.source();
        String where = source == null ? "its source" : "its source " + source.getHostString() + ":" + source.getPort();
        try (SourcePeer peer = peers.source(source, m.id, m.gfnCount, ASK_SOURCE_MS, WireBytes.uncounted())) {
            // Asked, not pinged: a ping's answer renews the lease, and would put off the source's fail-back.
            boolean released = peer.hasReleased();
            return " (session " + m.id + ": its guest is held paused here for want of a lease, and " + where
                    + (released ? " says it released the guest to this host"
                    : " has not taken it back (it may still reconnect); destroy " + name + " here once the guest is"
                    + " known to run elsewhere") + ")";
        } catch (PeerException e) {
            if (e.error() != RemoteError.TAKEN_BACK) {
                return " (session " + m.id + ": its guest is held paused here for want of a lease, and " + where
                        + " could not say whether it took the guest back: " + e.getMessage() + ")";
            }
            LOG.log(Level.WARNING, "session {0}: a new prepare of {1}; its source took the guest back: {2}", m.id,
                    name, e.getMessage());
            m.takenBackNow(e.getMessage());
            end(m);
            return null;
        } catch (RuntimeException e) {
            return " (session " + m.id + ": its guest is held paused here for want of a lease, and " + where
                    + " could not be asked: " + e.getMessage() + ")";
        }
    }

    private Prepare.Reply prepareClaimed(String sessionId, Prepare request, long t0) {
        String name = request.domain().name();
        long span = request.unpopulated().size();
        if (span < request.domain().memoryPages()) {
            throw PeerException.badRequest("a physmap of " + span + " gfns cannot hold " + request.domain().memoryPages()
                    + " pages");
        }
        LinkShaper link;
        try {
            link = new LinkShaper(request.linkMbps(), request.linkLatencyMs());
        } catch (IllegalArgumentException e) {
            throw PeerException.badRequest(e.getMessage());
        }
        IncomingMigration m;
        try {
            DomainPreparer.PreparedDomain d = new DomainPreparer(host).prepare(request.domain(), request.targetKiB(),
                    request.unpopulated(), request.mode());
            m = new IncomingMigration(sessionId, name, host, request.mode(), d, request.stallMs(),
                    request.mode() == MigrationMode.PRECOPY ? Checkpointing.off() : request.checkpointing(),
                    this::takenBackLater, events::faultAnswered);
        } catch (XenException e) {
            throw new PeerException(RemoteError.HOST_ERROR, "creating " + request.domain().name() + " failed: "
                    + e.getMessage(), e);
        }
        try {
            if (request.mode() != MigrationMode.PRECOPY) {
                IncomingMigration paged = m;
                m.startPaging(request.source(), source -> peers.source(source, sessionId, span, request.stallMs(),
                        paged.wire()), link);
            }
            if (sessions.putIfAbsent(sessionId, m) != null) {
                throw new PeerException(RemoteError.WRONG_STATE, "session " + sessionId + " exists already");
            }
        } catch (RuntimeException e) {
            try {
                m.abort();      // the domain was created for this session: it goes with it
            } catch (RuntimeException abortFailed) {
                e.addSuppressed(abortFailed);
            }
            throw e;
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        LOG.log(Level.INFO, "session {0}: {1} prepared as {2} for {3} from {4} in {5} ms", sessionId,
                request.domain().name(), m.domain, request.mode().wireName(), request.source().getHostString(),
                String.format(Locale.ROOT, "%.0f", ms));
        return new Prepare.Reply(m.domain.value(), ms, m.leaseMs());
    }

    public Resume.Reply resume(String sessionId, Resume request) {
        long t0 = System.nanoTime();
        IncomingMigration m = session(sessionId);
        requirePhase(m, DestinationPhase.PREPARED);
        if (request.pagesSentBefore() < 0) {
            throw PeerException.badRequest("negative page count " + request.pagesSentBefore());
        }
        if (request.vcpus().isEmpty()) {
            throw PeerException.badRequest("resume carries no vCPU state");
        }
        if (request.unpopulated().size() != m.gfnCount
                || request.outstanding().map(o -> o.size() != m.gfnCount).orElse(false)) {
            throw PeerException.badRequest("the resume's bitmaps do not cover the session's " + m.gfnCount + " gfns");
        }
        if (m.leaseMs() > 0) {
            holdLease(m);        // before the guest can first run here
        }
        try {
            long nanos;
            try {
                nanos = m.resume(request, PRECOPY_WAIT_MS);
            } catch (RuntimeException e) {
                if (m.phase() == DestinationPhase.PREPARED) {
                    dropLease(m.id);    // the guest never ran here: no lease to hold
                }
                throw e;
            }
            LOG.log(Level.INFO, "session {0}: {1} runs here; {2} pages still to come", sessionId, m.domain,
                    m.expectedCount());
            return new Resume.Reply(nanos / 1e6, (System.nanoTime() - t0) / 1e6);
        } catch (XenException e) {
            throw new PeerException(RemoteError.HOST_ERROR, "resuming " + m.domain + " failed: " + e.getMessage(), e);
        } catch (IllegalStateException e) {
            throw new PeerException(RemoteError.WRONG_STATE, e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw PeerException.badRequest(e.getMessage());
        }
    }

    /**
     * Before the guest can first run here on its source's lease: the lease is journaled (the next daemon holds the
     * guest until its source says what became of it) and the guest is fenced to this daemon (on Xen it would
     * otherwise run on, unleased, should the daemon die: the fence pauses it then).
     */
    private void holdLease(IncomingMigration m) {
        journalLease(m);
        ExitFence stale = fences.put(m.id, host.domains().pauseIfThisProcessDies(m.domain));
        if (stale != null) {
            stale.close();
        }
    }

    private void journalLease(IncomingMigration m) {
        InetSocketAddress source = m.source();
        if (source != null) {
            leases.write(new LeaseJournal.Entry(m.id, m.domainName, m.domain.value(), source.getHostString(),
                    source.getPort(), m.gfnCount));
        }
    }

    /** The guest runs on no lease from now on (or never ran here): neither journaled nor fenced. */
    private void dropLease(String sessionId) {
        leases.remove(sessionId);
        ExitFence fence = fences.remove(sessionId);
        if (fence != null) {
            fence.close();
        }
    }

    /** Pages from a push channel. One-way: nothing is answered, so refusals are logged and counted. */
    public void push(String sessionId, PageBatch batch) {
        IncomingMigration m = sessionId == null ? null : sessions.get(sessionId);
        if (m == null) {
            refusedBatches.incrementAndGet();
            LOG.log(Level.WARNING, "refused a push batch for unknown session ''{0}''", sessionId);
            return;
        }
        if (!m.receive(batch)) {
            refusedBatches.incrementAndGet();
        }
    }

    /** A push batch that could not even be read (malformed); counted against its session if it has one. */
    public void refuseBatch(String sessionId, String why) {
        refusedBatches.incrementAndGet();
        IncomingMigration m = sessionId == null ? null : sessions.get(sessionId);
        if (m != null) {
            m.refuse("a malformed push batch: " + why);
        } else {
            LOG.log(Level.WARNING, "refused a malformed push batch for unknown session ''{0}'': {1}", sessionId, why);
        }
    }

    /**
     * Waits until every page is loaded, checks the guest and closes the books. Asked again for a session that
     * completed lately (the first answer was lost with a cut), it answers the same.
     */
    public Completion complete(String sessionId, Complete request) {
        FinishedSessions.Finished done = finished.await(sessionId, sessions::get);
        if (done != null) {
            return done.completion();
        }
        IncomingMigration m = session(sessionId);
        if (!m.isLive()) {
            throw new PeerException(RemoteError.WRONG_STATE, "session " + m.id + " is " + m.phase()
                    + ", not running here");
        }
        m.newestComplete = request;
        int recoveriesAtArrival = m.recoveries();
        boolean all;
        try {
            all = m.awaitAllLoaded(Math.max(1, request.timeoutMs()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerException(RemoteError.TIMEOUT, "interrupted");
        }
        if (m.guestLost() != null) {
            synchronized (m) {
                if (m.phase() != DestinationPhase.LOST) {
                    m.finish(DestinationPhase.LOST);
                }
                end(m);
            }
            throw new PeerException(RemoteError.HOST_ERROR, "the guest stopped on the destination during post-copy: "
                    + m.guestLost());
        }
        if (m.loadFailure() != null) {
            // The guest runs here and waits for a page that cannot be loaded: say so now, not at the timeout.
            throw new PeerException(RemoteError.HOST_ERROR, "the destination could not load a page: "
                    + m.loadFailure() + " (" + m.loadedCount() + " of " + m.expectedCount() + " pages loaded)");
        }
        if (!all) {
            String why = m.demandFailure() != null ? " (demand connection failed: " + m.demandFailure() + ")" : "";
            throw new PeerException(RemoteError.TIMEOUT, m.loadedCount() + " of " + m.expectedCount()
                    + " pages loaded after " + request.timeoutMs() + " ms" + why
                    + "; the guest runs here and waits for the rest");
        }
        try {
            // A guest held for want of a lease is not handed over by completing: the source may be restoring it.
            m.awaitUnfenced(Math.max(1, request.timeoutMs()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerException(RemoteError.TIMEOUT, "interrupted");
        }
        synchronized (m) {
            // Two completes may wait at once (the first one's connection was cut): one closes the books.
            done = finished.peek(sessionId);
            if (done != null) {
                return done.completion();
            }
            if (m.recoveries() != recoveriesAtArrival) {
                // Sent before a recovery, which re-sent pages this request does not count: the source completes
                // again after it, and that request closes the books (this one's connection is gone anyway).
                throw new PeerException(RemoteError.WRONG_STATE, "session " + sessionId + ": this completion request"
                        + " was overtaken by a reconnect; the source asks again");
            }
            if (m.fenced()) {
                throw new PeerException(RemoteError.TIMEOUT, "session " + sessionId + ": every page is here but the"
                        + " guest is held paused, its lease run out; the source must reconnect before it completes");
            }
            Completion c = closeBooks(m, m.newestComplete);
            if (m.holdsLease()) {
                holdingLease.put(m.id, m);
            }
            finished.put(sessionId, m.gfnCount, c);
            end(m);
            return c;
        }
    }

    private Completion closeBooks(IncomingMigration m, Complete request) {
        m.finish(DestinationPhase.COMPLETED);
        String sessionId = m.id;
        CompletionRecord.Tally tally = m.tally();
        LOG.log(Level.INFO, "session {0}: complete; {1} pages loaded after the switch, {2} network faults", sessionId,
                tally.loadedAfterSwitch(), tally.networkFaults());
        Completion.PagerWaits pagerWaits = m.pagerWaits();
        LOG.log(Level.INFO, "session {0}: the pager''s waits (a request off the ring until answered), by what "
                + "brought the page: {1}", sessionId, IncomingMigration.line(pagerWaits));
        List<String> notes = new ArrayList<>();
        try {
            m.writeTarget(request.restoreTargetKiB());
        } catch (XenException e) {
            notes.add("could not restore memory/target: " + e.getMessage());
        }
        return CompletionRecord.build(tally, request, m.domain, host.guestProbe(), notes)
                .withCheckpoints(m.checkpointsTaken(), m.checkpointPauseMs(), m.checkpointsDeferred())
                .withMeasures(m.guestTime(), new Completion.Wire(m.wire().sent(), m.wire().received()))
                .withPagerWaits(pagerWaits);
    }

    /** A heartbeat from a session's source: it is alive; here is this side's view. Never waits. */
    public LinkState heartbeat(String sessionId) {
        IncomingMigration closing = sessionId == null ? null : sessions.get(sessionId);
        if (closing != null && closing.phase() == DestinationPhase.COMPLETED) {
            // Its books are being closed (the guest's memory check may take a while): alive, and done.
            return closing.heartbeat();
        }
        FinishedSessions.Finished done = finished.peek(sessionId);
        if (done != null) {
            return new LinkState(DestinationPhase.COMPLETED.name(), done.completion().pagesReceived(),
                    done.completion().pagesReceived());
        }
        return session(sessionId).heartbeat();
    }

    /**
     * A source back after a cut: what it must send again.
     *
     * @param source where the demand channel reaches the source from now on
     */
    public Reattached reconnect(String sessionId, InetSocketAddress source) {
        FinishedSessions.Finished done = finished.await(sessionId, sessions::get);
        if (done != null) {
            return new Reattached(new GfnBitmap(done.gfnCount()), DestinationPhase.COMPLETED.name(),
                    done.completion().pagesReceived(), done.completion().pagesReceived());
        }
        IncomingMigration m = session(sessionId);
        String lost = m.isLive() ? m.guestLost() : null;
        if (lost != null) {
            synchronized (m) {
                if (m.phase() != DestinationPhase.LOST) {
                    m.finish(DestinationPhase.LOST);
                }
                end(m);
            }
            throw new PeerException(RemoteError.HOST_ERROR, "the guest stopped on the destination during post-copy: "
                    + lost);
        }
        if (m.phase() == DestinationPhase.PREPARED) {
            // The resume never arrived (or failed here): the guest never ran here, and the source may take it back.
            throw new PeerException(RemoteError.NOT_RESUMED, "session " + sessionId + " was prepared here but never"
                    + " resumed");
        }
        if (!m.isLive()) {
            // Not a state a retry changes (the guest stopped here, or the session never ran): say so for good.
            throw new PeerException(RemoteError.HOST_ERROR, "session " + sessionId + " is " + m.phase()
                    + " here: there is nothing to reconnect to");
        }
        try {
            GfnBitmap missing = m.reconnect(source);
            if (m.leaseMs() > 0) {
                journalLease(m);    // the source's page server may answer elsewhere now
            }
            LOG.log(Level.INFO, "session {0}: the source reconnected; {1} pages still missing", sessionId,
                    missing.cardinality());
            CompletionRecord.Tally t = m.tally();
            return new Reattached(missing, m.phase().name(), m.settledCount(), t.pagesReceived());
        } catch (IllegalStateException e) {
            throw new PeerException(RemoteError.WRONG_STATE, e.getMessage(), e);
        }
    }

    /** The source has taken back what was missing: the demand channel reopens. */
    public void recovered(String sessionId) {
        if (finished.await(sessionId, sessions::get) != null) {
            return;
        }
        try {
            session(sessionId).recovered();
        } catch (IllegalStateException e) {
            throw new PeerException(RemoteError.WRONG_STATE, e.getMessage(), e);
        }
    }

    public void abort(String sessionId, String reason) {
        IncomingMigration m = session(sessionId);
        if (m.phase() != DestinationPhase.PREPARED) {
            throw new PeerException(RemoteError.WRONG_STATE, "session " + sessionId + " is " + m.phase()
                    + ": the guest already runs here and cannot be given back");
        }
        LOG.log(Level.WARNING, "session {0} aborted by the source: {1}", sessionId, reason);
        try {
            m.abort();
        } catch (IllegalStateException e) {
            // A resume is under way: it decides; the session must not be forgotten under it.
            throw new PeerException(RemoteError.WRONG_STATE, "abort refused: " + e.getMessage(), e);
        } catch (XenException e) {
            end(m);
            throw new PeerException(RemoteError.HOST_ERROR, "abort failed: " + e.getMessage(), e);
        }
        end(m);
    }

    /**
     * The source took the guest back: the copy here is already held paused; it is destroyed on the sweeper's
     * thread (the news may come on the demand channel's own thread, which the teardown stops).
     */
    private void takenBackLater(IncomingMigration m) {
        // A thread of its own: the teardown joins threads and destroys a domain, and the lease sweep must not wait.
        Thread t = new Thread(() -> {
            try {
                m.tearDownTakenBack();
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "session " + m.id + ": destroying the copy the source took back failed", e);
            } finally {
                end(m);
            }
        }, "taken-back-" + m.id);
        t.setDaemon(true);
        t.start();
    }

    /** The source destroyed its copy after the completion: the guest here runs on no lease from now on. */
    public void released(String sessionId) {
        IncomingMigration m = sessionId == null ? null : holdingLease.remove(sessionId);
        if (m == null) {
            m = session(sessionId);
        }
        m.releasedBySource();
        dropLease(sessionId);
    }

    /**
     * The source restored the guest from its copy and last checkpoint (it waited out the lease first): the copy
     * here, held paused, is destroyed.
     */
    public void takenBack(String sessionId, String reason) {
        IncomingMigration m = session(sessionId);
        if (!m.isLive()) {
            throw new PeerException(RemoteError.WRONG_STATE, "session " + sessionId + " is " + m.phase()
                    + ": no guest here to give up");
        }
        m.takenBackBySource(reason);
    }

    /** Forgets a session that has ended (completed, lost, aborted, reaped). */
    private void end(IncomingMigration m) {
        if (!m.holdsLease()) {
            dropLease(m.id);
        }
        if (sessions.remove(m.id, m)) {
            namesComingIn.remove(m.domainName);
            FinishedSessions.Finished done = finished.peek(m.id);
            try {
                events.sessionEnded(m.phase(), Optional.ofNullable(done).map(FinishedSessions.Finished::completion));
            } catch (RuntimeException e) {
                // An observer's bug must not leave a session half-forgotten.
                LOG.log(Level.ERROR, "session " + m.id + ": telling the observer of its end failed", e);
            }
        }
    }

    private IncomingMigration session(String id) {
        IncomingMigration m = id == null ? null : sessions.get(id);
        if (m == null) {
            throw new PeerException(RemoteError.UNKNOWN_SESSION, "no incoming migration with session id '" + id + "'");
        }
        return m;
    }

    private static void requirePhase(IncomingMigration m, DestinationPhase wanted) {
        if (m.phase() != wanted) {
            throw new PeerException(RemoteError.WRONG_STATE, "session " + m.id + " is " + m.phase() + ", not " + wanted);
        }
    }
}
