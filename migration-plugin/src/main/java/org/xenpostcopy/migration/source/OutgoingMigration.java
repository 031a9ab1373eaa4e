package org.xenpostcopy.migration.source;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.thrift.TException;
import org.xenpostcopy.balloon.GuestMemoryStats;
import org.xenpostcopy.balloon.SelfBallooningController;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.link.LinkShaper;
import org.xenpostcopy.migration.prepaging.PrePagingPolicies;
import org.xenpostcopy.migration.protocol.ThriftConnection;
import org.xenpostcopy.migration.protocol.Wire;
import org.xenpostcopy.migration.protocol.thrift.MigrationReceiver;
import org.xenpostcopy.migration.protocol.thrift.TCompletion;
import org.xenpostcopy.migration.protocol.thrift.TDomainSpec;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;
import org.xenpostcopy.migration.protocol.thrift.TPrepare;
import org.xenpostcopy.migration.protocol.thrift.TPrepareReply;
import org.xenpostcopy.migration.protocol.thrift.TResume;
import org.xenpostcopy.migration.protocol.thrift.TResumeReply;
import org.xenpostcopy.migration.protocol.thrift.TVcpuState;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.XenStore;

/**
 * One outgoing migration, from the source's side, in any mode:
 * <ol>
 *   <li><b>prepare</b>: with DSB, inflate the balloon first; the destination creates the domain (for post-copy
 *       with every page paged out) while the guest still runs here;</li>
 *   <li><b>pre-copy rounds</b> (pre-copy, hybrid): Xen 4.17's policy — round 1 sends every page, later
 *       rounds the pages dirtied meanwhile, for at most 5 rounds, ending early with one last round when fewer
 *       than 50 were dirtied (hybrid: a fixed number of rounds);</li>
 *   <li><b>switch</b>: pause, send the vCPU state and the final hole map (pre-copy: and the last dirty pages);
 *       the destination unpauses — the downtime ends;</li>
 *   <li><b>post-copy</b> (post-copy, hybrid): push the remaining pages in the pre-paging policy's order while the
 *       page server answers faults;</li>
 *   <li><b>complete</b>: the destination confirms every page loaded and checks the guest; the source domain is
 *       destroyed.</li>
 * </ol>
 * Before the switch any failure leaves the guest running here. After it the guest runs on the destination and the
 * source domain stays paused — never resumed, since its memory may be the only copy of pages not yet sent.
 */
public final class OutgoingMigration {
    private static final Logger LOG = System.getLogger(OutgoingMigration.class.getName());
    private static final int CONNECT_TIMEOUT_MS = 10_000;
    /**
     * One push or pre-copy batch is a few hundred KiB: a destination that takes this long to take one is gone
     * (a host that vanished sends no reset, and TCP alone would keep retrying for a quarter of an hour).
     */
    private static final int PUSH_TIMEOUT_MS = 120_000;
    /**
     * Xen 4.17's pre-copy policy (libxenguest's {@code simple_precopy_policy}, what {@code xl migrate} uses): stop
     * after 5 live rounds, or once fewer than 50 pages were dirtied during a round, which are then sent live once
     * more before the stop-and-copy. (The 29 rounds / 3× memory rules are the pre-4.6 {@code xc_domain_save}.)
     */
    static final int PRECOPY_TARGET_DIRTY_COUNT = 50;
    static final int PRECOPY_MAX_ROUNDS = 5;

    private final XenHost host;
    private final PageServer pageServer;
    private final InetSocketAddress self;
    private final DomainId domain;
    private final InetSocketAddress destination;
    private final MigrationOptions options;
    private final MigrationProgress progress;
    private final Optional<SelfBallooningController> dsb;

    public OutgoingMigration(XenHost host, PageServer pageServer, InetSocketAddress self, DomainId domain,
                             InetSocketAddress destination, MigrationOptions options, MigrationProgress progress,
                             Optional<SelfBallooningController> dsb) {
        this.host = host;
        this.pageServer = pageServer;
        this.self = self;
        this.domain = domain;
        this.destination = destination;
        this.options = options;
        this.progress = progress;
        this.dsb = dsb;
        if (options.dsb() && dsb.isEmpty()) {
            throw new MigrationException("DSB was asked for but this host has no self-ballooning controller");
        }
    }

    public MigrationReport run() {
        DomainInfo info = host.domains().info(domain);
        if (info.state() != DomainInfo.State.RUNNING && info.state() != DomainInfo.State.PAUSED) {
            throw new MigrationException(domain + " is " + info.state().name().toLowerCase() + "; only a live domain migrates");
        }
        DomainConfig config = host.domains().config(domain);
        long gfnCount = host.memory().gfnCount(domain);
        Optional<GuestProbe> probe = host.guestProbe();
        double baseline = measureBaseline(probe);
        String home = XenStore.domainPath(domain);
        long originalTarget = readKiB(home + "/" + GuestMemoryStats.TARGET).orElse(config.memoryKiB());
        long freeAtStart = readKiB(home + "/" + GuestMemoryStats.FREE).map(k -> k / 4).orElse(-1L);
        String sessionId = UUID.randomUUID().toString();
        long tStart = System.nanoTime();
        boolean dsbStartedHere = false;
        if (options.dsb()) {
            progress.update("self-ballooning", 0, 0, 0);
            SelfBallooningController c = dsb.get();
            if (!c.isManaging(domain)) {
                c.start(domain);
                dsbStartedHere = true;
            }
            Optional<GuestMemoryStats> before = c.inflateNow(domain, Duration.ofSeconds(30));
            if (before.isPresent()) {
                freeAtStart = before.get().freeKiB() / 4;
            }
        }
        LinkShaper link = new LinkShaper(options.linkMbps(), options.linkLatencyMs());
        MigrationMode mode = options.mode();
        try (ThriftConnection control = ThriftConnection.open(destination, CONNECT_TIMEOUT_MS);
             ThriftConnection pushConn = ThriftConnection.open(destination, CONNECT_TIMEOUT_MS)) {
            MigrationReceiver.Client receiver = control.receiver();
            MigrationReceiver.Client push = pushConn.receiver();
            pushConn.setTimeout(PUSH_TIMEOUT_MS);
            progress.update("prepare", 0, 0, 0);
            // Creating and paging out a large domain takes a while on the destination.
            control.setTimeout((int) Math.min(Integer.MAX_VALUE, options.timeoutMs()));
            GfnBitmap holesNow = holes(gfnCount);
            TPrepare prep = new TPrepare(sessionId, spec(config), self.getHostString(), self.getPort(),
                    options.linkMbps(), options.linkLatencyMs(), Wire.packBitmap(holesNow), mode.wireName());
            prep.setGfnCount(gfnCount);
            TPrepareReply prepared = call("prepare", () -> receiver.prepare(prep));

            // --- pre-copy rounds, the guest running --------------------------------------------------------
            PreCopySender precopy = new PreCopySender(host, domain, sessionId, push, link,
                    link.batchPages(options.batchPages(), Wire.PAGE_SIZE + 8));
            GfnBitmap everSent = new GfnBitmap(gfnCount);
            // Pages written during the last live round: their dirty bits were read and cleared to end the round,
            // so they must be added to what is still outstanding at the switch.
            GfnBitmap dirtyInLastRound = new GfnBitmap(gfnCount);
            int rounds = 0;
            if (mode != MigrationMode.POSTCOPY) {
                rounds = precopyRounds(precopy, everSent, dirtyInLastRound, holesNow, gfnCount, receiver, sessionId);
            }

            // --- the switch: downtime starts here ---------------------------------------------------------
            long tPause = System.nanoTime();
            host.domains().suspendForMigration(domain);
            long tPaused = System.nanoTime();
            if (dsbStartedHere) {
                dsb.get().stop(domain, false);   // the guest is leaving; the destination gets the original target
            }
            GfnBitmap holes;
            List<VcpuState> vcpus;
            GfnBitmap outstanding;
            try {
                holes = holes(gfnCount);
                vcpus = host.domains().vcpuStates(domain);
                outstanding = GfnBitmap.full(gfnCount);
                outstanding.andNot(holes);
                if (mode != MigrationMode.POSTCOPY) {
                    GfnBitmap dirty = host.dirtyLog().readAndClear(domain);
                    host.dirtyLog().disable(domain);
                    dirty.or(dirtyInLastRound);
                    GfnBitmap clean = everSent.copy();
                    clean.andNot(dirty);
                    outstanding.andNot(clean);      // sent and not dirtied since: already there
                }
            } catch (XenException e) {
                host.domains().resumeAfterFailedMigration(domain);
                abort(receiver, sessionId, "source failed at pause: " + e.getMessage());
                throw new MigrationException("reading " + domain + "'s state failed; it keeps running here: " + e.getMessage(), e);
            }
            if (mode == MigrationMode.PRECOPY) {
                progress.update("stop-and-copy", precopy.pagesSent(), precopy.pagesSent() + outstanding.cardinality(), 0);
                precopy.send(outstanding, () -> { }, false);   // the last dirty pages, with the guest stopped
                rounds++;
                outstanding = new GfnBitmap(gfnCount);
            }
            SentPages sent = new SentPages(gfnCount, complement(outstanding));
            SourceSession session = new SourceSession(sessionId, host, domain, gfnCount, sent,
                    PrePagingPolicies.create(options, sent), link);
            pageServer.register(session);
            try {
                List<TVcpuState> wireVcpus = new ArrayList<>();
                long vcpuBytes = 0;
                for (VcpuState v : vcpus) {
                    wireVcpus.add(new TVcpuState(v.vcpu(), ByteBuffer.wrap(v.context())));
                    vcpuBytes += v.size();
                }
                TResume resume = new TResume(sessionId, wireVcpus, Wire.packBitmap(holes), precopy.pagesSent());
                if (mode == MigrationMode.HYBRID) {
                    resume.setOutstanding(Wire.packBitmap(outstanding));
                }
                long tSend = System.nanoTime();
                TResumeReply resumed;
                try {
                    resumed = receiver.resume(resume);
                } catch (TException e) {
                    // The destination may or may not have unpaused. Ask it to abort; resume here only if it agrees.
                    if (abort(receiver, sessionId, "resume failed: " + e.getMessage())) {
                        host.domains().resumeAfterFailedMigration(domain);
                        throw new MigrationException("the destination refused to resume " + domain + " (" + describe(e)
                                + "); it keeps running here", e);
                    }
                    throw new MigrationException("switching " + domain + " to the destination failed (" + describe(e)
                            + ") and the destination did not confirm an abort; the source copy stays paused", e);
                }
                long tReply = System.nanoTime();
                // Downtime ends when the destination unpauses. Without a shared clock, that moment is the call's
                // send time plus half the network time of the call (its round trip less the destination's handling)
                // plus the destination's own time to unpause.
                double networkMs = Math.max(0, (tReply - tSend) / 1e6 - resumed.getHandlerMs());
                long tResumed = tSend + (long) ((networkMs / 2 + resumed.getResumeMs()) * 1e6);
                LOG.log(Level.DEBUG, "{0}: downtime {1} ms = pause {2} + state and last pages {3} + network {4} + destination {5}",
                        domain, ms(tResumed - tPause), ms(tPaused - tPause), ms(tSend - tPaused),
                        String.format("%.3f", networkMs / 2), String.format("%.3f", resumed.getResumeMs()));

                // --- post-copy: push while the page server answers faults ----------------------------------
                long pagesSent;
                TCompletion done;
                try {
                    if (!sent.allClaimed()) {
                        new PushScheduler(session, push, link.batchPages(options.batchPages(), Wire.PAGE_SIZE + 8),
                                progress).run();
                    }
                    pagesSent = precopy.pagesSent() + session.pagesSent();
                    progress.update("completing", pagesSent, pagesSent, session.demandRequests.get());
                    control.setTimeout((int) Math.min(Integer.MAX_VALUE, options.timeoutMs() + 60_000));
                    long restore = options.dsb() ? originalTarget : 0;
                    long sentSoFar = pagesSent;
                    done = call("complete", () -> receiver.complete(sessionId, sentSoFar, options.verify(),
                            (int) Math.min(Integer.MAX_VALUE, options.timeoutMs()), restore));
                } catch (MigrationException e) {
                    // The guest has run on the destination since the switch: this copy is out of date, and resuming
                    // it would roll the guest back under its peers. It is kept paused, with every page not yet sent.
                    throw new MigrationException(e.getMessage() + "; " + domain + " stays paused here (" + session.pagesSent()
                            + " pages had been sent after the switch): the guest ran on the destination, so this copy is"
                            + " out of date and is not resumed", e);
                }
                host.domains().destroy(domain);
                progress.update("done", pagesSent, pagesSent, done.getNetworkFaults());

                double downtimeMs = (tResumed - tPause) / 1e6;
                double postCopyMs = done.getPostCopyNanos() / 1e6;
                double during = -1;
                if (done.getGuestOpsAtCompletion() >= 0 && done.getPostCopyNanos() > 0) {
                    during = (done.getGuestOpsAtCompletion() - done.getGuestOpsAtResume()) / (done.getPostCopyNanos() / 1e9);
                }
                // The guest's memory, not its physmap span: on real Xen the span also covers the MMIO hole and
                // the special pages below 4 GiB, which were never RAM and are not "skipped".
                long vmPages = Math.min(config.memoryPages(), gfnCount);
                long populatedAtSwitch = gfnCount - holes.cardinality();
                return new MigrationReport(mode.wireName(), mode == MigrationMode.PRECOPY ? "none" : options.prepaging().wireName(),
                        options.dsb(), vmPages, (tPause - tStart) / 1e6 + downtimeMs + postCopyMs, downtimeMs,
                        pagesSent, precopy.bytesSent() + session.wireBytes.get() + vcpuBytes, done.getDuplicatePages(),
                        Math.max(0, vmPages - populatedAtSwitch), freeAtStart, done.getNetworkFaults(), done.getPrepagedHits(),
                        done.getGuestPagesTouched(),
                        new MigrationReport.FaultLatency(done.getFaultLatency().getP50Us(),
                                done.getFaultLatency().getP99Us(), done.getFaultLatency().getMaxUs()),
                        baseline, during, done.isVerified(), done.getMismatchedPages(), done.getVerificationNote(),
                        (tPause - tStart) / 1e6, postCopyMs, domain.value(), prepared.getDestinationDomid(), rounds);
            } finally {
                pageServer.unregister(session);
            }
        } catch (RuntimeException e) {
            if (dsbStartedHere && dsb.get().isManaging(domain)) {
                dsb.get().stop(domain, true);
            }
            throw e;
        }
    }

    /**
     * Runs the pre-copy rounds with the guest running; returns how many were sent. {@code lastDirty} receives the
     * pages dirtied during the last round, which still have to go.
     */
    private int precopyRounds(PreCopySender precopy, GfnBitmap everSent, GfnBitmap lastDirty, GfnBitmap holesNow,
                              long gfnCount, MigrationReceiver.Client receiver, String sessionId) {
        try {
            host.dirtyLog().enable(domain);
        } catch (XenException e) {
            abort(receiver, sessionId, "log-dirty failed: " + e.getMessage());
            throw new MigrationException("cannot track " + domain + "'s writes (log-dirty): " + e.getMessage()
                    + "; it keeps running here", e);
        }
        GfnBitmap round = GfnBitmap.full(gfnCount);
        round.andNot(holesNow);
        boolean hybrid = options.mode() == MigrationMode.HYBRID;
        int rounds = 0;
        boolean finalLiveRound = false;
        while (true) {
            if (hybrid || !round.isEmpty()) {
                rounds++;
                String phase = "pre-copy round " + rounds;
                long base = precopy.pagesSent();
                long total = round.cardinality();
                precopy.send(round, () -> progress.update(phase, precopy.pagesSent() - base, total, 0), true);
                everSent.or(round);
            }
            GfnBitmap dirty = host.dirtyLog().readAndClear(domain);
            dirty.andNot(holes(gfnCount));
            boolean last = hybrid ? rounds >= options.precopyRounds()
                    : finalLiveRound || round.isEmpty() || rounds >= PRECOPY_MAX_ROUNDS;
            if (last) {
                lastDirty.or(dirty);
                return rounds;
            }
            finalLiveRound = !hybrid && dirty.cardinality() < PRECOPY_TARGET_DIRTY_COUNT;
            round = dirty;
        }
    }

    private static GfnBitmap complement(GfnBitmap b) {
        GfnBitmap c = GfnBitmap.full(b.size());
        c.andNot(b);
        return c;
    }

    private TDomainSpec spec(DomainConfig config) {
        String home = XenStore.domainPath(domain);
        long target = readKiB(home + "/memory/target").orElse(config.memoryKiB());
        return new TDomainSpec(config.name(), config.memoryPages(), config.vcpus(), config.guest(), config.seed(), target);
    }

    private Optional<Long> readKiB(String path) {
        try {
            return host.store().read(path).map(String::trim).filter(s -> s.matches("\\d+")).map(Long::parseLong);
        } catch (XenException e) {
            return Optional.empty();
        }
    }

    private static String ms(long nanos) {
        return String.format("%.3f", nanos / 1e6);
    }

    /**
     * gfns not to send: unpopulated ones (ballooned out, Xen-heap frames) and the toolstack's own pages, which
     * the destination's toolstack sets up afresh.
     */
    private GfnBitmap holes(long gfnCount) {
        GfnBitmap populated = host.domains().populated(domain);
        if (populated.size() > gfnCount && populated.nextSet(gfnCount) >= 0) {
            throw new MigrationException(domain + " populated gfn 0x" + Long.toHexString(populated.nextSet(gfnCount))
                    + " beyond the 0x" + Long.toHexString(gfnCount) + " gfns it had when the migration started");
        }
        GfnBitmap holes = GfnBitmap.full(gfnCount);
        for (long g = populated.nextSet(0); g >= 0 && g < gfnCount; g = populated.nextSet(g + 1)) {
            holes.clear(g);
        }
        for (Gfn g : host.domains().toolstackPages(domain)) {
            if (g.value() < gfnCount) {
                holes.set(g.value());
            }
        }
        return holes;
    }

    private double measureBaseline(Optional<GuestProbe> probe) {
        if (probe.isEmpty() || options.baselineMs() == 0) {
            return -1;
        }
        progress.update("baseline", 0, 0, 0);
        long ops0 = probe.get().operations(domain);
        long t0 = System.nanoTime();
        // Measuring over a window is the point here, not waiting for a condition.
        long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(options.baselineMs());
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
        long ops1 = probe.get().operations(domain);
        return (ops1 - ops0) / ((System.nanoTime() - t0) / 1e9);
    }

    private boolean abort(MigrationReceiver.Client receiver, String sessionId, String reason) {
        try {
            receiver.abort(sessionId, reason);
            return true;
        } catch (TException e) {
            LOG.log(Level.WARNING, "abort of session {0} failed: {1}", sessionId, describe(e));
            return false;
        }
    }

    private interface Call<T> {
        T run() throws TException;
    }

    private <T> T call(String what, Call<T> c) {
        try {
            return c.run();
        } catch (TException e) {
            throw new MigrationException(what + " failed at the destination " + destination.getHostString() + ":"
                    + destination.getPort() + ": " + describe(e), e);
        }
    }

    static String describe(TException e) {
        if (e instanceof TMigrationError m) {
            return m.getMessage();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
