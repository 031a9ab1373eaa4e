package org.xenpostcopy.migration.destination;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.xenpostcopy.migration.link.LinkShaper;
import org.xenpostcopy.migration.protocol.Wire;
import org.xenpostcopy.migration.protocol.thrift.MigrationReceiver;
import org.xenpostcopy.migration.protocol.thrift.TCompletion;
import org.xenpostcopy.migration.protocol.thrift.TDomainSpec;
import org.xenpostcopy.migration.protocol.thrift.TErrorCode;
import org.xenpostcopy.migration.protocol.thrift.TLatency;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;
import org.xenpostcopy.migration.protocol.thrift.TPages;
import org.xenpostcopy.migration.protocol.thrift.TPrepare;
import org.xenpostcopy.migration.protocol.thrift.TPrepareReply;
import org.xenpostcopy.migration.protocol.thrift.TResume;
import org.xenpostcopy.migration.protocol.thrift.TResumeReply;
import org.xenpostcopy.migration.protocol.thrift.TVcpuState;
import org.xenpostcopy.migration.protocol.thrift.migrationConstants;
import org.xenpostcopy.migration.report.LatencyRecorder;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;

/**
 * The destination's Thrift handler. It converts wire structs to domain types at once, checks everything that
 * arrives (session known, sizes bounded, gfns in range) and maps domain errors to {@code TMigrationError}.
 */
public final class ReceiverService implements MigrationReceiver.Iface {
    private static final Logger LOG = System.getLogger(ReceiverService.class.getName());

    /** How long a resume waits for pre-copy pages still in flight on the push connection. */
    private static final long PRECOPY_WAIT_MS = 60_000;

    private final XenHost host;
    private final ConcurrentHashMap<String, IncomingMigration> sessions = new ConcurrentHashMap<>();
    private final AtomicLong refusedBatches = new AtomicLong();

    public ReceiverService(XenHost host) {
        this.host = host;
    }

    /** Ids of the migrations coming in now. */
    public java.util.Set<String> activeSessions() {
        return java.util.Set.copyOf(sessions.keySet());
    }

    /** Push batches refused outright (unknown session or malformed), across all sessions. */
    public long refusedBatches() {
        return refusedBatches.get();
    }

    private IncomingMigration session(String id) throws TMigrationError {
        IncomingMigration m = id == null ? null : sessions.get(id);
        if (m == null) {
            throw Wire.error(TErrorCode.UNKNOWN_SESSION, "no incoming migration with session id '" + id + "'");
        }
        return m;
    }

    /** 2^28 gfns = 1 TiB of guest physical address space: far above any guest here, and a 32 MiB bitmap. */
    static final long MAX_GFNS = 1L << 28;

    @Override
    public TPrepareReply prepare(TPrepare request) throws TMigrationError {
        long t0 = System.nanoTime();
        if (request.getSessionId() == null || request.getSessionId().isBlank() || request.getDomain() == null) {
            throw Wire.badRequest("prepare needs a session id and a domain");
        }
        if (sessions.containsKey(request.getSessionId())) {
            throw Wire.error(TErrorCode.WRONG_STATE, "session " + request.getSessionId() + " exists already");
        }
        TDomainSpec d = request.getDomain();
        DomainConfig config;
        try {
            config = new DomainConfig(d.getName(), d.getMemoryPages(), d.getVcpus(), d.getGuest(), d.getSeed());
        } catch (IllegalArgumentException | NullPointerException e) {
            throw Wire.badRequest("bad domain spec: " + e.getMessage());
        }
        if (request.getSourcePort() <= 0 || request.getSourcePort() > 65535 || request.getSourceHost() == null) {
            throw Wire.badRequest("bad source address " + request.getSourceHost() + ":" + request.getSourcePort());
        }
        long span = request.isSetGfnCount() ? request.getGfnCount() : config.memoryPages();
        if (span < config.memoryPages() || span > MAX_GFNS) {
            throw Wire.badRequest("a physmap of " + span + " gfns cannot hold " + config.memoryPages() + " pages (limit "
                    + MAX_GFNS + ")");
        }
        GfnBitmap holes = Wire.unpackBitmap(request.bufferForUnpopulated(), span);
        IncomingMigration.Mode mode;
        try {
            mode = IncomingMigration.Mode.valueOf(request.getMode().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw Wire.badRequest("unknown migration mode '" + request.getMode() + "' (postcopy, precopy or hybrid)");
        }
        LinkShaper link;
        try {
            link = new LinkShaper(request.getLinkMbps(), request.getLinkLatencyMs());
        } catch (IllegalArgumentException e) {
            throw Wire.badRequest(e.getMessage());
        }
        try {
            IncomingMigration m = IncomingMigration.prepare(request.getSessionId(), host, config, d.getTargetKiB(), holes,
                    mode);
            if (mode != IncomingMigration.Mode.PRECOPY) {
                m.startServices(new InetSocketAddress(request.getSourceHost(), request.getSourcePort()), link);
            }
            sessions.put(request.getSessionId(), m);
            double ms = (System.nanoTime() - t0) / 1e6;
            LOG.log(Level.INFO, "session {0}: {1} prepared as {2} for {3} from {4} in {5} ms", m.id, config.name(),
                    m.domain, mode.name().toLowerCase(java.util.Locale.ROOT), request.getSourceHost(), String.format("%.0f", ms));
            return new TPrepareReply(m.domain.value(), ms);
        } catch (XenException e) {
            throw Wire.error(TErrorCode.HOST_ERROR, "creating " + config.name() + " failed: " + e.getMessage());
        }
    }

    @Override
    public TResumeReply resume(TResume request) throws TMigrationError {
        long t0 = System.nanoTime();
        IncomingMigration m = session(request.getSessionId());
        if (m.phase() != IncomingMigration.Phase.PREPARED) {
            throw Wire.error(TErrorCode.WRONG_STATE, "session " + m.id + " is " + m.phase() + ", not PREPARED");
        }
        GfnBitmap holes = Wire.unpackBitmap(request.bufferForUnpopulated(), m.gfnCount);
        GfnBitmap outstanding = request.isSetOutstanding()
                ? Wire.unpackBitmap(request.bufferForOutstanding(), m.gfnCount) : null;
        if (request.getPagesSentBefore() < 0) {
            throw Wire.badRequest("negative page count " + request.getPagesSentBefore());
        }
        List<VcpuState> vcpus = new ArrayList<>();
        if (request.getVcpus() == null || request.getVcpus().isEmpty()) {
            throw Wire.badRequest("resume carries no vCPU state");
        }
        for (TVcpuState v : request.getVcpus()) {
            if (v.bufferForContext() == null || v.bufferForContext().remaining() > 1 << 20) {
                throw Wire.badRequest("vCPU " + v.getVcpu() + " context is missing or larger than 1 MiB");
            }
            ByteBuffer b = v.bufferForContext();
            byte[] ctx = new byte[b.remaining()];
            b.duplicate().get(ctx);
            try {
                vcpus.add(new VcpuState(v.getVcpu(), ctx));
            } catch (IllegalArgumentException e) {
                throw Wire.badRequest(e.getMessage());
            }
        }
        try {
            long nanos = m.resume(vcpus, holes, outstanding, request.getPagesSentBefore(), PRECOPY_WAIT_MS);
            LOG.log(Level.INFO, "session {0}: {1} runs here; {2} pages still to come", m.id, m.domain, m.expectedCount());
            return new TResumeReply(nanos / 1e6, (System.nanoTime() - t0) / 1e6);
        } catch (XenException e) {
            throw Wire.error(TErrorCode.HOST_ERROR, "resuming " + m.domain + " failed: " + e.getMessage());
        } catch (IllegalStateException e) {
            throw Wire.error(TErrorCode.WRONG_STATE, e.getMessage());
        } catch (IllegalArgumentException e) {
            throw Wire.badRequest(e.getMessage());
        }
    }

    @Override
    public void pushPages(String sessionId, TPages pages) {
        // oneway: nothing can be answered, so refusals are logged and counted (complete() reports them)
        IncomingMigration m = sessionId == null ? null : sessions.get(sessionId);
        if (m == null) {
            refusedBatches.incrementAndGet();
            LOG.log(Level.WARNING, "refused a push batch for unknown session ''{0}''", sessionId);
            return;
        }
        IncomingMigration.Phase phase = m.phase();
        boolean precopy = phase == IncomingMigration.Phase.PREPARED && m.mode != IncomingMigration.Mode.POSTCOPY;
        if ((phase != IncomingMigration.Phase.RUNNING && !precopy) || m.guestLost() != null) {
            refusedBatches.incrementAndGet();
            LOG.log(Level.WARNING, "refused a push batch for session {0} in phase {1}", sessionId, phase);
            return;
        }
        long[] gfns;
        ByteBuffer payload;
        try {
            if (pages == null) {
                throw Wire.badRequest("no pages");
            }
            // The fields themselves, not bufferFor*(): those copy, and these buffers are only read here.
            gfns = Wire.unpackGfns(pages.gfns, migrationConstants.MAX_BATCH_PAGES, m.gfnCount);
            payload = pages.pages;
            Wire.checkPages(payload, gfns.length);
        } catch (TMigrationError e) {
            refusedBatches.incrementAndGet();
            m.rejected.incrementAndGet();
            LOG.log(Level.WARNING, "session {0}: refused a malformed push batch: {1}", sessionId, e.getMessage());
            return;
        }
        ByteBuffer page = payload.duplicate();
        int base = page.position();
        for (int i = 0; i < gfns.length; i++) {
            page.limit(base + (i + 1) * Wire.PAGE_SIZE).position(base + i * Wire.PAGE_SIZE);
            if (precopy) {
                m.deliverPrecopy(gfns[i], page);
            } else {
                m.deliver(gfns[i], page);
            }
        }
    }

    @Override
    public TCompletion complete(String sessionId, long pagesSent, boolean verify, int timeoutMs, long restoreTargetKiB)
            throws TMigrationError {
        IncomingMigration m = session(sessionId);
        if (m.phase() != IncomingMigration.Phase.RUNNING) {
            throw Wire.error(TErrorCode.WRONG_STATE, "session " + m.id + " is " + m.phase() + ", not RUNNING");
        }
        try {
            boolean all = m.awaitAllLoaded(Math.max(1, timeoutMs));
            if (m.guestLost() != null) {
                m.finish();
                m.advance(IncomingMigration.Phase.RUNNING, IncomingMigration.Phase.LOST);
                sessions.remove(sessionId);
                throw Wire.error(TErrorCode.HOST_ERROR, "the guest stopped on the destination during post-copy: "
                        + m.guestLost());
            }
            if (!all) {
                String why = m.demandFailure != null ? " (demand connection failed: " + m.demandFailure + ")" : "";
                throw Wire.error(TErrorCode.TIMEOUT, m.loaded.get() + " of " + m.expectedCount()
                        + " pages loaded after " + timeoutMs + " ms" + why + "; the guest runs here and waits for the rest");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Wire.error(TErrorCode.TIMEOUT, "interrupted");
        }
        m.finish();
        m.advance(IncomingMigration.Phase.RUNNING, IncomingMigration.Phase.COMPLETED);
        sessions.remove(sessionId);
        LOG.log(Level.INFO, "session {0}: complete; {1} pages loaded after the switch, {2} network faults", m.id,
                m.loaded.get(), m.networkFaults.get());

        long received = m.loaded.get() + m.receivedBeforeSwitch.get();
        TCompletion c = new TCompletion();
        c.setPagesReceived(received);
        c.setDuplicatePages(m.duplicates.get());
        c.setNetworkFaults(m.networkFaults.get());
        c.setPrepagedHits(m.prepagedHits.get());
        LatencyRecorder.Percentiles p = m.faultLatency.percentiles();
        c.setFaultLatency(new TLatency(p.p50(), p.p99(), p.max()));
        c.setPostCopyNanos(m.postCopyNanos());
        c.setGuestOpsAtResume(m.opsAtResume());
        c.setGuestOpsAtCompletion(m.opsAtCompletion());
        c.setDestinationDomid(m.domain.value());
        c.setGuestPagesTouched(m.touchedAtCompletion());
        List<String> notes = new ArrayList<>();
        if (pagesSent != received) {
            notes.add("the source sent " + pagesSent + " pages, " + received + " arrived");
        }
        if (m.rejected.get() > 0) {
            notes.add(m.rejected.get() + " malformed pages or batches refused (none loaded)");
        }
        boolean accounted = pagesSent == received && m.duplicates.get() == 0;
        boolean verified = false;
        long mismatched = 0;
        if (verify) {
            var probe = m.probe();
            if (probe.isPresent()) {
                GuestProbe.Verification v = probe.get().verify(m.domain);
                verified = v.clean() && accounted;
                mismatched = v.mismatchedPages();
                if (!v.clean()) {
                    notes.addAll(v.problems().subList(0, Math.min(5, v.problems().size())));
                } else {
                    notes.add(0, "guest memory checked: " + v.pagesChecked() + " pages");
                }
            } else {
                notes.add("this host cannot check guest memory");
            }
        } else {
            notes.add("not checked (verification off)");
        }
        try {
            m.restoreTarget(restoreTargetKiB);
        } catch (XenException e) {
            notes.add("could not restore memory/target: " + e.getMessage());
        }
        c.setVerified(verified);
        c.setMismatchedPages(mismatched);
        c.setVerificationNote(String.join("; ", notes));
        return c;
    }

    @Override
    public void abort(String sessionId, String reason) throws TMigrationError {
        IncomingMigration m = session(sessionId);
        if (m.phase() != IncomingMigration.Phase.PREPARED) {
            throw Wire.error(TErrorCode.WRONG_STATE, "session " + m.id + " is " + m.phase()
                    + ": the guest already runs here and cannot be given back");
        }
        LOG.log(Level.WARNING, "session {0} aborted by the source: {1}", sessionId, reason);
        try {
            m.abort();
        } catch (XenException | IllegalStateException e) {
            throw Wire.error(TErrorCode.HOST_ERROR, "abort failed: " + e.getMessage());
        } finally {
            sessions.remove(sessionId);
        }
    }
}
