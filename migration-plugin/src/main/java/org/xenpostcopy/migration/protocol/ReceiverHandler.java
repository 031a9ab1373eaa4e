package org.xenpostcopy.migration.protocol;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.LogText;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.destination.IncomingMigrations;
import org.xenpostcopy.migration.peer.Complete;
import org.xenpostcopy.migration.peer.Completion;
import org.xenpostcopy.migration.peer.LinkState;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.peer.Prepare;
import org.xenpostcopy.migration.peer.Resume;
import org.xenpostcopy.migration.protocol.thrift.MigrationReceiver;
import org.xenpostcopy.migration.protocol.thrift.TCompletion;
import org.xenpostcopy.migration.protocol.thrift.TDomainSpec;
import org.xenpostcopy.migration.protocol.thrift.TLatency;
import org.xenpostcopy.migration.protocol.thrift.TLinkState;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;
import org.xenpostcopy.migration.protocol.thrift.TPagerWaits;
import org.xenpostcopy.migration.protocol.thrift.TPages;
import org.xenpostcopy.migration.protocol.thrift.TPrepare;
import org.xenpostcopy.migration.protocol.thrift.TPrepareReply;
import org.xenpostcopy.migration.protocol.thrift.TReconnectReply;
import org.xenpostcopy.migration.protocol.thrift.TResume;
import org.xenpostcopy.migration.protocol.thrift.TResumeReply;
import org.xenpostcopy.migration.protocol.thrift.TVcpuState;
import org.xenpostcopy.migration.protocol.thrift.migrationConstants;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.VcpuState;

/**
 * The destination's Thrift handler: converts each wire struct to the engine's request (refusing what cannot be
 * read: sizes beyond bounds, ragged lists, missing fields) and delegates to {@link IncomingMigrations}.
 */
final class ReceiverHandler implements MigrationReceiver.Iface {
    /** 2^28 gfns = 1 TiB of guest physical address space: far above any guest here, and a 32 MiB bitmap. */
    static final long MAX_GFNS = 1L << 28;
    /** The largest vCPU context accepted (a real HVM context is a few KiB). */
    /** The longest silence a source may ask to be tolerated before a cut is declared. */
    private static final int MAX_STALL_MS = 600_000;

    private final IncomingMigrations incoming;
    /** Who prepared each session: every later call of it must come from the same TLS identity. */
    private final SessionOwners owners;

    ReceiverHandler(IncomingMigrations incoming, SessionOwners owners) {
        this.incoming = incoming;
        this.owners = owners;
    }

    @Override
    public TPrepareReply prepare(TPrepare request) throws TMigrationError {
        if (request == null || request.getDomain() == null) {
            throw Wire.badRequest("prepare needs a session id and a domain");
        }
        String sessionId = RequestBounds.sessionId(request.getSessionId());
        TDomainSpec d = request.getDomain();
        RequestBounds.domainName(d.getName());
        DomainConfig config;
        try {
            config = new DomainConfig(d.getName(), d.getMemoryPages(), d.getVcpus(), d.getGuest(), d.getSeed());
        } catch (IllegalArgumentException | NullPointerException e) {
            throw Wire.badRequest("bad domain spec: " + e.getMessage());
        }
        RequestBounds.host(request.getSourceHost());
        if (request.getSourcePort() <= 0 || request.getSourcePort() > 65535 || request.getSourceHost() == null) {
            throw Wire.badRequest("bad source address " + request.getSourceHost() + ":" + request.getSourcePort());
        }
        long span = request.isSetGfnCount() ? request.getGfnCount() : config.memoryPages();
        if (span <= 0 || span > MAX_GFNS) {
            throw Wire.badRequest("a physmap of " + span + " gfns is outside 1.." + MAX_GFNS);
        }
        GfnBitmap holes = Wire.unpackBitmap(request.bufferForUnpopulated(), span);
        MigrationMode mode;
        try {
            mode = MigrationMode.valueOf(request.getMode().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw Wire.badRequest("unknown migration mode '" + LogText.escape(request.getMode()) + "' (postcopy, precopy or hybrid)");
        }
        InetSocketAddress source = InetSocketAddress.createUnresolved(request.getSourceHost(), request.getSourcePort());
        int stallMs = request.isSetStallMs() ? request.getStallMs() : MigrationOptions.DEFAULT_STALL_MS;
        if (stallMs < 100 || stallMs > MAX_STALL_MS) {
            throw Wire.badRequest("a stall limit of " + stallMs + " ms is outside 100.." + MAX_STALL_MS);
        }
        Checkpointing checkpointing = Checkpointing.off();
        if (request.isSetCheckpointMs() && request.getCheckpointMs() > 0) {
            int lease = request.isSetLeaseMs() ? request.getLeaseMs() : stallMs;
            if (request.getCheckpointMs() > MAX_STALL_MS || lease > MAX_STALL_MS) {
                throw Wire.badRequest("a checkpoint interval or lease above " + MAX_STALL_MS + " ms");
            }
            try {
                checkpointing = new Checkpointing(request.getCheckpointMs(), lease);
            } catch (IllegalArgumentException e) {
                throw Wire.badRequest(e.getMessage());
            }
        }
        boolean claimed = false;
        try {
            claimed = owners.claim(sessionId, "prepare");
            Prepare.Reply r = incoming.prepare(sessionId, new Prepare(config, d.getTargetKiB(), source,
                    request.getLinkMbps(), request.getLinkLatencyMs(), holes, mode, stallMs, checkpointing));
            claimed = false;
            TPrepareReply reply = new TPrepareReply(r.destinationDomid(), r.prepareMs());
            if (r.leaseMs() > 0) {
                reply.setLeaseMs(r.leaseMs());
            }
            return reply;
        } catch (PeerException e) {
            throw ThriftErrors.toWire(e);
        } finally {
            if (claimed) {
                owners.release(sessionId);   // nothing was prepared: the id belongs to no one
            }
        }
    }

    @Override
    public TResumeReply resume(TResume request) throws TMigrationError {
        if (request == null) {
            throw Wire.badRequest("resume needs a session id, vCPU state and a hole map");
        }
        try {
            owners.check(request.getSessionId(), "resume");
            long span = incoming.gfnCount(request.getSessionId());
            GfnBitmap holes = Wire.unpackBitmap(request.bufferForUnpopulated(), span);
            Optional<GfnBitmap> outstanding = request.isSetOutstanding()
                    ? Optional.of(Wire.unpackBitmap(request.bufferForOutstanding(), span)) : Optional.empty();
            Resume.Reply r = incoming.resume(request.getSessionId(),
                    new Resume(Wire.vcpus(request.getVcpus()), holes, request.getPagesSentBefore(), outstanding,
                            request.isSetTargetKiB() ? request.getTargetKiB() : 0));
            return new TResumeReply(r.resumeMs(), r.handlerMs());
        } catch (PeerException e) {
            throw ThriftErrors.toWire(e);
        }
    }

    @Override
    public void pushPages(String sessionId, TPages pages) {
        // oneway: nothing can be answered, so a batch that cannot be read is handed over as refused
        if (!owners.allows(sessionId, "pushPages")) {
            return;     // another identity's session (or no session id at all): dropped, and logged
        }
        long[] gfns;
        try {
            long span = incoming.gfnCount(sessionId);
            if (pages == null) {
                throw Wire.badRequest("no pages");
            }
            // The fields themselves, not bufferFor*(): those copy, and these buffers are only read here.
            gfns = Wire.unpackGfns(pages.gfns, migrationConstants.MAX_BATCH_PAGES, span);
            Wire.checkPages(pages.pages, gfns.length);
        } catch (TMigrationError | PeerException e) {
            incoming.refuseBatch(sessionId, e.getMessage());
            return;
        }
        incoming.push(sessionId, new PageBatch(gfns, gfns.length, pages.pages));
    }

    @Override
    public TCompletion complete(String sessionId, long pagesSent, boolean verify, int timeoutMs, long restoreTargetKiB,
                                long pagesResent) throws TMigrationError {
        try {
            owners.check(sessionId, "complete");
            Completion c = incoming.complete(sessionId, new Complete(pagesSent, verify, timeoutMs, restoreTargetKiB,
                    pagesResent));
            TCompletion t = new TCompletion();
            t.setPagesReceived(c.pagesReceived());
            t.setDuplicatePages(c.duplicatePages());
            t.setNetworkFaults(c.networkFaults());
            t.setMinorFaults(c.minorFaults());
            t.setFaultLatency(new TLatency(c.faultLatency().p50Us(), c.faultLatency().p99Us(), c.faultLatency().maxUs()));
            t.setPostCopyNanos(c.postCopyNanos());
            t.setGuestOpsAtResume(c.guestOpsAtResume());
            t.setGuestOpsAtCompletion(c.guestOpsAtCompletion());
            t.setGuestPagesTouched(c.guestPagesTouched());
            t.setVerified(c.verified());
            t.setMismatchedPages(c.mismatchedPages());
            t.setVerificationNote(c.verificationNote());
            t.setDestinationDomid(c.destinationDomid());
            t.setCheckpoints(c.checkpoints());
            t.setCheckpointPauseMs(c.checkpointPauseMs());
            t.setCheckpointsDeferred(c.checkpointsDeferred());
            Completion.Latency blocked = c.guest().vcpuBlocked();
            if (blocked != null) {
                t.setVcpuBlockedLatency(new TLatency(blocked.p50Us(), blocked.p99Us(), blocked.maxUs()));
            }
            if (c.guest().firstRanMs() >= 0) {
                t.setFirstRanMs(c.guest().firstRanMs());
            }
            t.setWireBytesToSource(c.wire().toSource());
            t.setWireBytesToDestination(c.wire().toDestination());
            Completion.PagerWaits waits = c.pagerWaits();
            if (waits.byFetch().requests() >= 0) {
                t.setPagerWaitsByFetch(toWire(waits.byFetch()));
            }
            if (waits.byPush().requests() >= 0) {
                t.setPagerWaitsByPush(toWire(waits.byPush()));
            }
            if (waits.alreadyHere().requests() >= 0) {
                t.setPagerWaitsAlreadyHere(toWire(waits.alreadyHere()));
            }
            return t;
        } catch (PeerException e) {
            throw ThriftErrors.toWire(e);
        }
    }

    private static TPagerWaits toWire(Completion.Waits w) {
        Completion.Latency l = w.latency();
        return new TPagerWaits(w.requests(), new TLatency(l.p50Us(), l.p99Us(), l.maxUs()));
    }

    @Override
    public TLinkState heartbeat(String sessionId) throws TMigrationError {
        try {
            owners.check(sessionId, "heartbeat");
            LinkState state = incoming.heartbeat(sessionId);
            TLinkState t = new TLinkState(state.phase(), state.pagesSettled(), state.pagesExpected());
            t.setGuestOps(state.guestOps());
            return t;
        } catch (PeerException e) {
            throw ThriftErrors.toWire(e);
        }
    }

    @Override
    public TReconnectReply reconnect(String sessionId, String sourceHost, int sourcePort) throws TMigrationError {
        if (sourceHost == null || sourceHost.isBlank() || sourcePort <= 0 || sourcePort > 65535) {
            throw Wire.badRequest("bad source address " + LogText.escape(sourceHost) + ":" + sourcePort);
        }
        RequestBounds.host(sourceHost);
        try {
            owners.check(sessionId, "reconnect");
            IncomingMigrations.Reattached r = incoming.reconnect(sessionId,
                    InetSocketAddress.createUnresolved(sourceHost, sourcePort));
            return new TReconnectReply(Wire.packBitmap(r.missing()), r.phase(), r.pagesSettled(), r.pagesReceived());
        } catch (PeerException e) {
            throw ThriftErrors.toWire(e);
        }
    }

    @Override
    public void recovered(String sessionId) throws TMigrationError {
        try {
            owners.check(sessionId, "recovered");
            incoming.recovered(sessionId);
        } catch (PeerException e) {
            throw ThriftErrors.toWire(e);
        }
    }

    @Override
    public void takenBack(String sessionId, String reason) throws TMigrationError {
        try {
            owners.check(sessionId, "takenBack");
            incoming.takenBack(sessionId, LogText.escape(reason == null ? "" : reason));
        } catch (PeerException e) {
            throw ThriftErrors.toWire(e);
        }
    }

    @Override
    public void released(String sessionId) throws TMigrationError {
        try {
            owners.check(sessionId, "released");
            incoming.released(sessionId);
        } catch (PeerException e) {
            throw ThriftErrors.toWire(e);
        }
    }

    @Override
    public void abort(String sessionId, String reason) throws TMigrationError {
        try {
            owners.check(sessionId, "abort");
            incoming.abort(sessionId, LogText.escape(reason));
        } catch (PeerException e) {
            throw ThriftErrors.toWire(e);
        }
    }
}
