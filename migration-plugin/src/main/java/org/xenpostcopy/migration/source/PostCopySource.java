package org.xenpostcopy.migration.source;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.thrift.TException;
import org.xenpostcopy.migration.MigrationException;
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
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.XenStore;

/**
 * One outgoing post-copy migration, from the source's side:
 * <ol>
 *   <li>prepare: the destination creates the domain with every page paged out (while the guest still runs here);</li>
 *   <li>switch: pause here, send the vCPU state and the final hole map, the destination unpauses (downtime ends);</li>
 *   <li>post-copy: push pages in the pre-paging policy's order while the page server answers faults;</li>
 *   <li>complete: the destination confirms every page loaded (and checks the guest), then the source domain is
 *       destroyed.</li>
 * </ol>
 * Before the switch any failure leaves the guest running here. After it the guest runs on the destination and the
 * source domain stays paused — never resumed, since its memory is now the only copy of pages not yet sent.
 */
public final class PostCopySource {
    private static final Logger LOG = System.getLogger(PostCopySource.class.getName());
    private static final int CONNECT_TIMEOUT_MS = 10_000;

    private final XenHost host;
    private final PageServer pageServer;
    private final InetSocketAddress self;
    private final DomainId domain;
    private final InetSocketAddress destination;
    private final MigrationOptions options;
    private final MigrationProgress progress;

    public PostCopySource(XenHost host, PageServer pageServer, InetSocketAddress self, DomainId domain,
                          InetSocketAddress destination, MigrationOptions options, MigrationProgress progress) {
        this.host = host;
        this.pageServer = pageServer;
        this.self = self;
        this.domain = domain;
        this.destination = destination;
        this.options = options;
        this.progress = progress;
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
        String sessionId = UUID.randomUUID().toString();
        long tStart = System.nanoTime();

        try (ThriftConnection control = ThriftConnection.open(destination, CONNECT_TIMEOUT_MS);
             ThriftConnection pushConn = ThriftConnection.open(destination, CONNECT_TIMEOUT_MS)) {
            MigrationReceiver.Client receiver = control.receiver();
            progress.update("prepare", 0, 0, 0);
            // Creating and paging out a large domain takes a while on the destination.
            control.setTimeout((int) Math.min(Integer.MAX_VALUE, options.timeoutMs()));
            GfnBitmap holesNow = holes(gfnCount);
            TPrepareReply prepared = call("prepare", () -> receiver.prepare(new TPrepare(sessionId, spec(config),
                    self.getHostString(), self.getPort(), options.linkMbps(), options.linkLatencyMs(),
                    Wire.packBitmap(holesNow))));

            // --- the switch: downtime starts here ---------------------------------------------------------
            long tPause = System.nanoTime();
            host.domains().pause(domain);
            long tPaused = System.nanoTime();
            GfnBitmap holes;
            List<VcpuState> vcpus;
            try {
                holes = holes(gfnCount);
                vcpus = host.domains().vcpuStates(domain);
            } catch (XenException e) {
                host.domains().unpause(domain);
                abort(receiver, sessionId, "source failed at pause: " + e.getMessage());
                throw new MigrationException("reading " + domain + "'s state failed; it keeps running here: " + e.getMessage(), e);
            }
            SentPages sent = new SentPages(gfnCount, holes);
            LinkShaper link = new LinkShaper(options.linkMbps(), options.linkLatencyMs());
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
                long tSend = System.nanoTime();
                TResumeReply resumed;
                try {
                    resumed = receiver.resume(new TResume(sessionId, wireVcpus, Wire.packBitmap(holes)));
                } catch (TException e) {
                    // The destination may or may not have unpaused. Ask it to abort; resume here only if it agrees.
                    if (abort(receiver, sessionId, "resume failed: " + e.getMessage())) {
                        host.domains().unpause(domain);
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
                LOG.log(Level.DEBUG, "{0}: downtime {1} ms = pause {2} + state {3} + network {4} + destination {5}",
                        domain, ms(tResumed - tPause), ms(tPaused - tPause), ms(tSend - tPaused),
                        String.format("%.3f", networkMs / 2), String.format("%.3f", resumed.getResumeMs()));
                session.wireBytes.addAndGet(vcpuBytes);

                // --- post-copy: push while the page server answers faults ----------------------------------
                new PushScheduler(session, pushConn.receiver(),
                        link.batchPages(options.batchPages(), Wire.PAGE_SIZE + 8), progress).run();
                progress.update("completing", session.pagesSent(), sent.toSend(), session.demandRequests.get());
                control.setTimeout((int) Math.min(Integer.MAX_VALUE, options.timeoutMs() + 60_000));
                TCompletion done = call("complete", () -> receiver.complete(sessionId, session.pagesSent(),
                        options.verify(), (int) Math.min(Integer.MAX_VALUE, options.timeoutMs())));
                host.domains().destroy(domain);
                progress.update("done", session.pagesSent(), sent.toSend(), done.getNetworkFaults());

                double downtimeMs = (tResumed - tPause) / 1e6;
                double postCopyMs = done.getPostCopyNanos() / 1e6;
                double during = -1;
                if (done.getGuestOpsAtCompletion() >= 0 && done.getPostCopyNanos() > 0) {
                    during = (done.getGuestOpsAtCompletion() - done.getGuestOpsAtResume()) / (done.getPostCopyNanos() / 1e9);
                }
                return new MigrationReport(options.mode().wireName(), options.prepaging().wireName(), options.dsb(),
                        gfnCount, (tPause - tStart) / 1e6 + downtimeMs + postCopyMs, downtimeMs,
                        session.pagesSent(), session.wireBytes.get(), done.getDuplicatePages(), holes.cardinality(), -1,
                        done.getNetworkFaults(), done.getPrepagedHits(), done.getGuestPagesTouched(),
                        new MigrationReport.FaultLatency(done.getFaultLatency().getP50Us(),
                                done.getFaultLatency().getP99Us(), done.getFaultLatency().getMaxUs()),
                        baseline, during, done.isVerified(), done.getMismatchedPages(), done.getVerificationNote(),
                        (tPause - tStart) / 1e6, postCopyMs, domain.value(), prepared.getDestinationDomid(), 0);
            } finally {
                pageServer.unregister(session);
            }
        }
    }

    private TDomainSpec spec(DomainConfig config) {
        String home = XenStore.domainPath(domain);
        long target = host.store().read(home + "/memory/target").map(PostCopySource::parseKiB).orElse(config.memoryKiB());
        return new TDomainSpec(config.name(), config.memoryPages(), config.vcpus(), config.guest(), config.seed(), target);
    }

    private static String ms(long nanos) {
        return String.format("%.3f", nanos / 1e6);
    }

    private static long parseKiB(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private GfnBitmap holes(long gfnCount) {
        GfnBitmap holes = GfnBitmap.full(gfnCount);
        holes.andNot(host.domains().populated(domain));
        return holes;
    }

    private double measureBaseline(Optional<GuestProbe> probe) {
        if (probe.isEmpty() || options.baselineMs() == 0) {
            return -1;
        }
        progress.update("baseline", 0, 0, 0);
        long ops0 = probe.get().operations(domain);
        long t0 = System.nanoTime();
        LockSupportSleep.sleepMillis(options.baselineMs());
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

    /** Sleeping for a measurement window is the point here (the baseline), not a wait for a condition. */
    private static final class LockSupportSleep {
        static void sleepMillis(long ms) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
            long left;
            while ((left = deadline - System.nanoTime()) > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(left);
            }
        }
    }
}
