package org.xenpostcopy.migration.source;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.xenpostcopy.balloon.GuestMemoryStats;
import org.xenpostcopy.balloon.SelfBallooningController;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.PhaseMachine;
import org.xenpostcopy.migration.link.LinkShaper;
import org.xenpostcopy.migration.peer.Complete;
import org.xenpostcopy.migration.peer.Completion;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.migration.peer.WireBytes;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.peer.Prepare;
import org.xenpostcopy.migration.prepaging.PrePagingPolicies;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.XenStore;

/**
 * One outgoing migration, in any mode, as a walk through {@link SourcePhase}: prepare (with DSB, inflate the
 * balloon first; the destination creates the domain while the guest runs here), the live pre-copy rounds
 * ({@link PreCopyRounds}), the switch ({@link SourceSwitch}), the post-copy push ({@link PushScheduler}) while the
 * {@link PageServer} answers faults, and completion; the {@link ReportBuilder} makes the report.
 *
 * <p>Before the switch any failure leaves the guest running here. After it the guest runs on the destination
 * and the source domain stays paused — never resumed, since its memory may be the only copy of pages not yet
 * sent.
 */
public final class OutgoingMigration {
    private static final Logger LOG = System.getLogger(OutgoingMigration.class.getName());

    private final XenHost host;
    private final PageServer pageServer;
    private final PeerConnector peers;
    /** What this migration's connections to the destination carry, at the socket. */
    private final WireBytes wire = new WireBytes();
    private final InetSocketAddress self;
    private final DomainId domain;
    private final InetSocketAddress destination;
    private final MigrationOptions options;
    private final MigrationProgress progress;
    private final Optional<SelfBallooningController> dsb;
    private final PhaseMachine<SourcePhase> phase;
    /** Set once the destination confirmed the resume: from then on this host's copy is out of date. */
    private volatile boolean handedOver;
    /** Set at the switch: brings the session back after a cut. */
    private volatile Reconnector reconnector;
    private final SessionJournal journal;
    private final LinkTurns.Turn turn;
    private final Optional<GuestThroughputHistory> history;
    /** Set at the switch: the session the page server and the push share. */
    private volatile SourceSession session;
    /** Set when the migration failed after the handover: the copy kept paused here, for an ordered fail-back. */
    private volatile OrderedFailBack.HeldCopy held;
    /** A fail-back's restore failed: its journal entry is kept for the next daemon to finish it. */
    private volatile boolean restoreUnfinished;

    public OutgoingMigration(XenHost host, PageServer pageServer, PeerConnector peers, InetSocketAddress self,
                             DomainId domain, InetSocketAddress destination, MigrationOptions options,
                             MigrationProgress progress, Optional<SelfBallooningController> dsb) {
        this(host, pageServer, peers, self, domain, destination, options, progress, dsb, SessionJournal.none());
    }

    /** @param journal where the session is recorded from the pause on, for a restarted daemon to finish it */
    public OutgoingMigration(XenHost host, PageServer pageServer, PeerConnector peers, InetSocketAddress self,
                             DomainId domain, InetSocketAddress destination, MigrationOptions options,
                             MigrationProgress progress, Optional<SelfBallooningController> dsb,
                             SessionJournal journal) {
        this(host, pageServer, peers, self, domain, destination, options, progress, dsb, journal, LinkTurns.ANY_TIME);
    }

    /**
     * @param turn when this migration may send: it waits for it, ready, before its first page, and gives it back
     *             about 0.3 s before its last (see {@link PushScheduler}), at its last, or when it ends
     */
    public OutgoingMigration(XenHost host, PageServer pageServer, PeerConnector peers, InetSocketAddress self,
                             DomainId domain, InetSocketAddress destination, MigrationOptions options,
                             MigrationProgress progress, Optional<SelfBallooningController> dsb,
                             SessionJournal journal, LinkTurns.Turn turn) {
        this(host, pageServer, peers, self, domain, destination, options, progress, dsb, journal, turn,
                Optional.empty());
    }

    /**
     * @param history the guests' recent operation counts, which the baseline is read from rather than waited for
     *                (empty: the baseline is measured from the request on)
     */
    public OutgoingMigration(XenHost host, PageServer pageServer, PeerConnector peers, InetSocketAddress self,
                             DomainId domain, InetSocketAddress destination, MigrationOptions options,
                             MigrationProgress progress, Optional<SelfBallooningController> dsb,
                             SessionJournal journal, LinkTurns.Turn turn,
                             Optional<GuestThroughputHistory> history) {
        this.history = history;
        this.turn = turn;
        this.journal = journal;
        this.host = host;
        this.pageServer = pageServer;
        this.peers = peers;
        this.self = self;
        this.domain = domain;
        this.destination = destination;
        this.options = options;
        this.progress = (phase, done, total, faults) -> {
            if (phase.equals(MigrationProgress.LAST_PAGE_SENT)) {
                turn.release();     // what is left (completion, the memory check) needs no link
            }
            progress.update(phase, done, total, faults);
        };
        this.dsb = dsb;
        this.phase = new PhaseMachine<>("outgoing " + domain, SourcePhase.PREPARING);
        if (options.dsb() && dsb.isEmpty()) {
            throw new MigrationException("DSB was asked for but this host has no self-ballooning controller");
        }
    }

    public SourcePhase phase() {
        return phase.phase();
    }

    /** Whether the guest was handed over (it ran on the destination), whatever happened after. */
    public boolean handedOver() {
        return handedOver;
    }

    /** The copy this migration left paused here after its guest was handed over and the migration failed. */
    Optional<OrderedFailBack.HeldCopy> heldCopy() {
        return Optional.ofNullable(held);
    }

    /**
     * An administrator gives the destination up while this migration reconnects to it ({@code xlpc migrate
     * --fail-back}): the guest comes back here from the last checkpoint once the lease has run out, on the
     * migration's own thread. Refused unless the link is cut, a checkpoint is committed and the destination does not
     * say the guest runs there.
     */
    String failBackNow() {
        SourcePhase p = phase.phase();
        Reconnector r = reconnector;
        SourceSession s = session;
        if (p == SourcePhase.FAILING_BACK) {
            throw new MigrationException(domain + " is failing back already");
        }
        if (r == null || s == null || p != SourcePhase.PAUSED && p != SourcePhase.RECOVERING) {
            throw new MigrationException("refused: the migration of " + domain + " is " + p.name().toLowerCase(
                    java.util.Locale.ROOT) + (handedOver ? ", its link to the destination up: the guest runs there"
                    : ": the guest has not been handed over and runs here") + "; a fail-back would make two guests");
        }
        OrderedFailBack.refuseUnlessWhole(s, domain);
        new OrderedFailBack(host, pageServer, peers, journal).refuseIfRunningThere(destination, s.id,
                options.stallMs());
        r.failBackNow("an administrator ordered a fail-back");
        return "fail-back of " + domain + " ordered: it runs here again from checkpoint "
                + s.checkpoints.latest().map(CheckpointStore.Committed::seq).orElse(0L) + " or newer once the"
                + " destination's lease (" + options.checkpointing().leaseMs() + " ms) has run out";
    }

    /**
     * Cuts short the wait before the next reconnect attempt ({@code xlpc migrate --resume}); true if the migration
     * was paused, waiting to reconnect.
     */
    public boolean retryNow() {
        Reconnector r = reconnector;
        return r != null && r.retryNow();
    }

    public MigrationReport run() {
        try {
            MigrationReport report = migrate();
            phase.advanceTo(SourcePhase.COMPLETED);
            return report;
        } catch (RuntimeException e) {
            phase.advanceTo(SourcePhase.FAILED);
            throw e;
        } finally {
            turn.release();
        }
    }

    private MigrationReport migrate() {
        DomainInfo info = host.domains().info(domain);
        if (info.state() != DomainInfo.State.RUNNING && info.state() != DomainInfo.State.PAUSED) {
            throw new MigrationException(domain + " is " + info.state().name().toLowerCase() + "; only a live domain migrates");
        }
        DomainConfig config = host.domains().config(domain);
        GuestHoles holes = new GuestHoles(host, domain, host.memory().gfnCount(domain));
        ReportBuilder report = new ReportBuilder(options, domain.value(), Math.min(config.memoryPages(), holes.gfnCount()));
        report.baseline(measureBaseline(host.guestProbe()));
        String home = XenStore.domainPath(domain);
        long originalTarget = readKiB(home + "/" + GuestMemoryStats.TARGET).orElse(config.memoryKiB());
        report.freeAtStart(readKiB(home + "/" + GuestMemoryStats.FREE).map(k -> k / 4).orElse(-1L));
        String sessionId = UUID.randomUUID().toString();
        report.started(System.nanoTime());
        boolean dsbStartedHere = options.dsb() && startBalloon(report);
        try {
            turn.toSend(holes.gfnCount() - holes.now().cardinality());
            report.waitedForLink(awaitTurn());
        } catch (RuntimeException e) {
            if (dsbStartedHere && dsb.get().isManaging(domain)) {
                dsb.get().stop(domain, true);
            }
            if (e.getCause() instanceof InterruptedException) {
                Thread.currentThread().interrupt();     // kept for the caller, now that the balloon is let go
            }
            throw e;
        }
        LinkShaper link = new LinkShaper(options.linkMbps(), options.linkLatencyMs());
        MigrationMode mode = options.mode();
        int batch = link.batchPages(options.batchPages(), PreCopySender.WIRE_BYTES_PER_PAGE);
        // Pre-copy hands over a whole guest: nothing to checkpoint.
        Checkpointing asked = mode == MigrationMode.PRECOPY ? Checkpointing.off() : options.checkpointing();
        try (DestinationPeer peer = peers.destination(destination, sessionId, options.timeoutMs(), options.stallMs(),
                wire)) {
            progress.update("prepare", 0, 0, 0);
            long target = readKiB(home + "/memory/target").orElse(config.memoryKiB());
            long prepareCalled = System.nanoTime();
            Prepare.Reply prepared = peer.prepare(new Prepare(config, target, self, options.linkMbps(),
                    options.linkLatencyMs(), holes.now(), mode, options.stallMs(), asked));
            report.prepared(System.nanoTime() - prepareCalled);
            // A destination that does not run the guest on our lease would never pause it: no fail-back then.
            Checkpointing checkpointing = asked.enabled() && prepared.leaseMs() != asked.leaseMs()
                    ? Checkpointing.off() : asked;
            if (asked.enabled() && !checkpointing.enabled()) {
                LOG.log(Level.WARNING, "outgoing {0}: the destination did not take the {1} ms lease (it answered {2});"
                        + " no checkpoints, and no fail-back should it die", domain, asked.leaseMs(),
                        prepared.leaseMs());
            }
            PreCopySender sender = new PreCopySender(host, domain, peer, link, batch);
            PreCopyRounds.Result rounds = PreCopyRounds.Result.none(holes.gfnCount());
            if (mode != MigrationMode.POSTCOPY) {
                phase.advance(SourcePhase.PREPARING, SourcePhase.PRECOPY_ROUNDS);
                rounds = liveRounds(peer, holes, sender);
            }
            phase.advanceTo(SourcePhase.SWITCHING);
            SourceSession[] session = new SourceSession[1];
            // Made before the pause, so the guest's downtime does not pay for it.
            CheckpointStore checkpointStore = checkpointing.enabled() ? new CheckpointStore(holes.gfnCount()) : null;
            SessionJournal.Entry journaled = new SessionJournal.Entry(sessionId, domain.value(),
                    destination.getHostString(), destination.getPort(), holes.gfnCount(),
                    options.prepaging().wireName(), options.batchPages(), options.linkMbps(), options.linkLatencyMs(),
                    options.stallMs(), options.giveUpMs(), options.timeoutMs(), options.verify(),
                    options.dsb() ? originalTarget : 0, false).checkpointed(checkpointing);
            if (checkpointStore != null) {
                keepCheckpoints(checkpointStore, sessionId);
            }
            Runnable atPause = () -> {
                if (dsbStartedHere) {
                    dsb.get().stop(domain, false);   // the guest is leaving; the destination gets the original target
                }
            };
            // Before the pause: a daemon that dies from here on leaves a guest a restart must finish or resume.
            journal.write(journaled);
            try {
                SourceSwitch.Switched sw;
                String unconfirmed = null;
                try {
                    sw = new SourceSwitch(host, domain, mode, holes, peer).run(rounds, sender, atPause, outstanding -> {
                        SentPages sent = new SentPages(holes.gfnCount(), complement(outstanding));
                        session[0] = new SourceSession(sessionId, host, domain, holes.gfnCount(), sent,
                                PrePagingPolicies.create(options, sent), link, checkpointStore, wire);
                        pageServer.register(session[0]);
                    }, progress);
                    journal.write(journaled.handedOverNow());
                } catch (SourceSwitch.Unconfirmed u) {
                    // The guest may run there: treated as handed over until the destination says it never was.
                    sw = u.switched();
                    unconfirmed = u.getMessage();
                }
                handedOver = true;
                SourceSession s = session[0];
                this.session = s;
                s.grants.handedOver();
                PostCopyDriver driver = new PostCopyDriver(s, phase, reconnector = new Reconnector(peers, destination,
                        self, s, phase, progress, options.timeoutMs(), options.stallMs(), options.giveUpMs(), false,
                        checkpointing.leaseMs()), progress, batch, options.stallMs(), turn::release);
                Completion done;
                java.util.function.LongFunction<Complete> completeRequest = resent -> new Complete(sender.pagesSent()
                        + s.pagesSent(), options.verify(), (int) Math.min(Integer.MAX_VALUE, options.timeoutMs()),
                        options.dsb() ? originalTarget : 0, resent);
                try {
                    done = unconfirmed == null ? driver.run(peer, completeRequest)
                            : driver.runAfterCut(peer, unconfirmed, completeRequest);
                } catch (Reconnector.NeverResumed e) {
                    handedOver = false;
                    throw takeBack(sessionId, e);
                } catch (Reconnector.FailBackDue e) {
                    throw failBack(sessionId, s, e, journaled.handedOverNow());
                } catch (MigrationException e) {
                    // The guest has run on the destination since the switch: this copy is out of date, and resuming
                    // it would roll the guest back under its peers. It is kept paused, with every page not yet sent
                    // and the checkpoints: an administrator may order a fail-back (xlpc migrate --fail-back).
                    String why = e.getMessage() + "; " + domain + " stays paused here (" + s.pagesSent()
                            + " pages had been sent after the switch): the guest ran on the destination, so this copy"
                            + " is out of date and is not resumed";
                    held = new OrderedFailBack.HeldCopy(sessionId, domain, s, journaled.handedOverNow(), destination,
                            checkpointing, options.verify(), options.stallMs(), why);
                    throw new MigrationException(why, e);
                }
                long completedAt = System.nanoTime();
                long pagesSent = sender.pagesSent() + s.pagesSent();
                host.domains().destroy(domain);
                release(sessionId, s);
                progress.update("done", pagesSent, pagesSent, done.networkFaults());
                return report.build(sw, rounds.rounds(), prepared.destinationDomid(), pagesSent, wire, done,
                        completedAt, driver.cuts(), driver.pausedMs(), driver.resentPages(), s.checkpoints);
            } finally {
                if (session[0] != null) {
                    pageServer.unregister(session[0]);
                }
                if (checkpointStore != null) {
                    checkpointStore.close();
                }
                if (!restoreUnfinished) {
                    journal.remove(sessionId);
                }
            }
        } catch (RuntimeException e) {
            if (dsbStartedHere && dsb.get().isManaging(domain)) {
                dsb.get().stop(domain, true);
            }
            throw e;
        }
    }

    /**
     * Keeps each checkpoint committed on disk beside the journal entry, for a restarted daemon to fail back to. If
     * the log cannot be made, checkpoints are kept in memory only: this daemon can still fail back, a restarted one
     * finds no log and restores the switch.
     */
    private void keepCheckpoints(CheckpointStore store, String sessionId) {
        Optional<java.nio.file.Path> file = journal.checkpointLog(sessionId);
        if (file.isEmpty()) {
            return;
        }
        try {
            store.keepIn(file.get());
        } catch (java.io.IOException e) {
            LOG.log(Level.ERROR, "outgoing {0}: the checkpoint log {1} could not be made ({2}); checkpoints are kept"
                    + " in memory only, and a daemon restarted during the post-copy cannot fail back to them", domain,
                    file.get(), e.getMessage());
        }
    }

    /**
     * The resume's reply was lost and recovery found the destination never ran the guest: its session is aborted
     * and the guest resumes here. Returns the exception to throw (the migration failed either way).
     */
    private MigrationException takeBack(String sessionId, Reconnector.NeverResumed why) {
        try (DestinationPeer again = peers.destination(destination, sessionId, options.timeoutMs(),
                options.stallMs(), wire)) {
            again.abort("the resume never arrived: the source takes the guest back");
        } catch (MigrationException e) {
            handedOver = true;      // not confirmed: the copy here stays paused rather than risk two guests
            return new MigrationException(why.getMessage() + ", but the abort failed (" + e.getMessage() + "); "
                    + domain + " stays paused here", why);
        }
        host.domains().resumeAfterFailedMigration(domain);
        return new MigrationException(why.getMessage() + "; the destination gave the session up and " + domain
                + " keeps running here", why);
    }

    /**
     * The destination died or was cut off past its lease: the guest resumes here from the last checkpoint, and the
     * destination, if it can hear, destroys its copy. Returns the exception to throw (the migration failed).
     */
    private MigrationException failBack(String sessionId, SourceSession s, Reconnector.FailBackDue why,
                                        SessionJournal.Entry journaled) {
        phase.advanceTo(SourcePhase.FAILING_BACK);
        progress.update("failing back", s.pagesSent(), s.sent.toSend(), s.demandRequests.get());
        FailBack.Result r;
        try {
            r = new FailBack(host, domain, s, options.checkpointing(), options.verify(),
                    new FailBackJournal(journal, journaled)).run();
        } catch (MigrationException e) {
            // The copy may be half restored: its journal entry (FAILING_BACK, with the checkpoint) stays, so the
            // next daemon restores it again rather than leave it so; and an administrator may order the fail-back
            // again meanwhile (the restore gives the same guest however often it runs).
            restoreUnfinished = true;
            held = new OrderedFailBack.HeldCopy(sessionId, domain, s, journaled, destination, options.checkpointing(),
                    options.verify(), options.stallMs(), e.getMessage());
            throw e;
        }
        handedOver = false;
        try (DestinationPeer again = peers.destination(destination, sessionId, Math.min(options.timeoutMs(),
                options.stallMs()), options.stallMs(), wire)) {
            again.takenBack("the source runs the guest again: " + r.summary());
        } catch (MigrationException e) {
            // It learns on its next call to the page server; until then its lease holds its copy paused.
            LOG.log(Level.INFO, "outgoing {0}: the destination did not hear the take-back ({1})", domain,
                    e.getMessage());
        }
        return new FailedBack(why.getMessage() + "; " + domain + " runs here again, " + r.summary(), r, why);
    }

    /**
     * The copy here is gone: the destination's guest runs on no lease from now on. Told directly, and to its
     * pings (which keep its lease going until they hear it), so a lost call costs nothing.
     */
    private void release(String sessionId, SourceSession s) {
        pageServer.released(sessionId);
        if (s.checkpoints == null) {
            return;
        }
        try (DestinationPeer again = peers.destination(destination, sessionId, Math.min(options.timeoutMs(),
                options.stallMs()), options.stallMs(), wire)) {
            again.released();
        } catch (MigrationException e) {
            LOG.log(Level.INFO, "outgoing {0}: the destination did not hear the release ({1}); its next ping will",
                    domain, e.getMessage());
        }
    }

    /**
     * Waits for this migration's turn at the link, measured and ballooned but not yet connected to its destination:
     * a migration that waits holds no connection a server could find idle and no destination memory, and an
     * interrupted one leaves nothing behind. (Its destination's prepare, a fraction of a second, is then on the path.)
     * Returns how long it waited, in nanoseconds (0 if its turn was there at once).
     */
    private long awaitTurn() {
        try {
            if (turn.await(0)) {
                return 0;
            }
            long queued = System.nanoTime();
            progress.update(MigrationProgress.WAITING_FOR_LINK, 0, 0, 0);
            while (!turn.await(TimeUnit.MINUTES.toMillis(1))) {
                // still queued, in its place
            }
            return System.nanoTime() - queued;
        } catch (InterruptedException e) {
            // The flag is set again by the caller, once it has let the balloon go (which waits on another thread).
            throw new MigrationException("interrupted while waiting for its turn at the link; " + domain
                    + " keeps running here", e);
        }
    }

    /** The live rounds; on failure log-dirty is turned off and the destination's domain given up. */
    private PreCopyRounds.Result liveRounds(DestinationPeer peer, GuestHoles holes, PreCopySender sender) {
        Xen417PrecopyPolicy policy = options.mode() == MigrationMode.HYBRID
                ? Xen417PrecopyPolicy.fixed(options.precopyRounds()) : Xen417PrecopyPolicy.xen();
        try {
            return new PreCopyRounds(host, domain, holes, sender, policy, progress).run();
        } catch (RuntimeException e) {
            try {
                host.dirtyLog().disable(domain);
            } catch (XenException ignored) {
                // it may never have been enabled; nothing else to undo
            }
            try {
                peer.abort("pre-copy failed at the source: " + e.getMessage());
            } catch (PeerException abortFailed) {
                LOG.log(Level.WARNING, "abort after a failed pre-copy round failed: {0}", abortFailed.getMessage());
            }
            throw new MigrationException(e.getMessage() + "; " + domain + " keeps running here", e);
        }
    }

    /** Starts self-ballooning if it is not on yet and inflates once; true if it was started here. */
    private boolean startBalloon(ReportBuilder report) {
        progress.update("self-ballooning", 0, 0, 0);
        SelfBallooningController c = dsb.get();
        boolean started = false;
        if (!c.isManaging(domain)) {
            c.start(domain);
            started = true;
        }
        try {
            c.inflateNow(domain, Duration.ofSeconds(30)).ifPresent(before -> report.freeAtStart(before.freeKiB() / 4));
        } catch (RuntimeException e) {
            if (started) {
                c.stop(domain, true);   // the migration ends here: the guest gets its memory back
            }
            throw e;
        }
        return started;
    }

    private static GfnBitmap complement(GfnBitmap b) {
        GfnBitmap c = GfnBitmap.full(b.size());
        c.andNot(b);
        return c;
    }

    private Optional<Long> readKiB(String path) {
        try {
            return host.store().read(path).map(String::trim).filter(s -> s.matches("\\d+")).map(Long::parseLong);
        } catch (XenException e) {
            return Optional.empty();
        }
    }

    /**
     * The guest's operations per second over the {@code baselineMs} before now: from the history when it holds the
     * whole window (no wait), else waiting out what it lacks (all of it without a history).
     */
    private double measureBaseline(Optional<GuestProbe> probe) {
        if (probe.isEmpty() || options.baselineMs() == 0) {
            return -1;
        }
        long window = TimeUnit.MILLISECONDS.toNanos(options.baselineMs());
        long now = System.nanoTime();
        GuestThroughputHistory.Sample start = history.flatMap(h -> h.windowStart(domain, window, now))
                .orElseGet(() -> new GuestThroughputHistory.Sample(now, probe.get().operations(domain)));
        return rateSince(probe.get(), start, window);
    }

    /** The guest's operations per second from {@code start} to now, once at least {@code window} has passed. */
    private double rateSince(GuestProbe probe, GuestThroughputHistory.Sample start, long window) {
        long now = System.nanoTime();
        long end = start.nanos() + window;
        if (end - now > 0) {
            progress.update("baseline", 0, 0, 0);
        }
        // Measuring over a window is the point here, not waiting for a condition.
        long left;
        while ((left = end - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
        long ops = probe.operations(domain);
        if (ops < start.operations()) {
            // Another guest under the same id since the sample: measure this one afresh.
            return rateSince(probe, new GuestThroughputHistory.Sample(System.nanoTime(), ops), window);
        }
        return (ops - start.operations()) / ((System.nanoTime() - start.nanos()) / 1e9);
    }
}
