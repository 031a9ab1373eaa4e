package org.xenpostcopy.migration.protocol;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.thrift.TException;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.peer.Complete;
import org.xenpostcopy.migration.peer.Completion;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.peer.LinkState;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.peer.Prepare;
import org.xenpostcopy.migration.peer.Reattachment;
import org.xenpostcopy.migration.peer.Resume;
import org.xenpostcopy.migration.peer.WireBytes;
import org.xenpostcopy.migration.protocol.thrift.MigrationReceiver;
import org.xenpostcopy.migration.protocol.thrift.TCompletion;
import org.xenpostcopy.migration.protocol.thrift.TLatency;
import org.xenpostcopy.migration.protocol.thrift.TDomainSpec;
import org.xenpostcopy.migration.protocol.thrift.TLinkState;
import org.xenpostcopy.migration.protocol.thrift.TPagerWaits;
import org.xenpostcopy.migration.protocol.thrift.TReconnectReply;
import org.xenpostcopy.migration.protocol.thrift.TPages;
import org.xenpostcopy.migration.protocol.thrift.TPrepare;
import org.xenpostcopy.migration.protocol.thrift.TPrepareReply;
import org.xenpostcopy.migration.protocol.thrift.TResume;
import org.xenpostcopy.migration.protocol.thrift.TResumeReply;
import org.xenpostcopy.migration.protocol.thrift.TVcpuState;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.VcpuState;

/**
 * {@link DestinationPeer} over Thrift connections of its own: control calls on one, oneway pushes on another, and
 * heartbeats on a third (opened with the first heartbeat), so neither a long completion wait nor a full push
 * window ever delays one.
 */
final class ThriftDestinationPeer implements DestinationPeer {
    private static final Logger LOG = System.getLogger(ThriftDestinationPeer.class.getName());
    private static final int CONNECT_TIMEOUT_MS = 10_000;
    /** How much longer than the destination's own wait a completion may take to come back. */
    private static final int COMPLETE_SLACK_MS = 60_000;

    private final InetSocketAddress address;
    private final String sessionId;
    private final int stallMs;
    private final org.xenpostcopy.migration.tls.ChannelSecurity security;
    private final WireBytes counted;   // what this peer's connections carry
    private final ThriftConnection control;
    private final ThriftConnection bulk;
    private final MigrationReceiver.Client receiver;
    private final MigrationReceiver.Client pusher;
    private ThriftConnection heartbeatConnection;
    private MigrationReceiver.Client heartbeats;
    private volatile boolean closed;

    ThriftDestinationPeer(InetSocketAddress address, String sessionId, long controlTimeoutMs, int stallMs,
                          org.xenpostcopy.migration.tls.ChannelSecurity security, WireBytes wire) {
        this.address = address;
        this.sessionId = sessionId;
        this.stallMs = stallMs;
        this.security = security;
        this.counted = wire;
        int connectMs = Math.min(CONNECT_TIMEOUT_MS, Math.max(stallMs, 1000));
        this.control = ThriftConnection.open(address, connectMs, security, wire);
        try {
            this.bulk = ThriftConnection.open(address, connectMs, security, wire);
        } catch (MigrationException e) {
            control.close();
            throw e;
        }
        control.setTimeout(clamp(controlTimeoutMs));
        // A push write that cannot move for this long is a cut (a host that vanished sends no reset, and TCP alone
        // would keep retrying for a quarter of an hour).
        bulk.setTimeout(stallMs);
        bulk.boundForPush();
        this.receiver = control.receiver();
        this.pusher = bulk.receiver();
    }

    /** The identity the destination's certificate proved; empty on plain connections. */
    java.util.Optional<org.xenpostcopy.migration.tls.PeerIdentity> identity() {
        return control.peer();
    }

    @Override
    public Prepare.Reply prepare(Prepare r) {
        TDomainSpec spec = new TDomainSpec(r.domain().name(), r.domain().memoryPages(), r.domain().vcpus(),
                r.domain().guest(), r.domain().seed(), r.targetKiB());
        TPrepare wire = new TPrepare(sessionId, spec, r.source().getHostString(), r.source().getPort(), r.linkMbps(),
                r.linkLatencyMs(), Wire.packBitmap(r.unpopulated()), r.mode().wireName());
        wire.setGfnCount(r.unpopulated().size());
        wire.setStallMs(r.stallMs());
        if (r.checkpointing().enabled()) {
            wire.setCheckpointMs(r.checkpointing().intervalMs());
            wire.setLeaseMs(r.checkpointing().leaseMs());
        }
        try {
            TPrepareReply reply = receiver.prepare(wire);
            return new Prepare.Reply(reply.getDestinationDomid(), reply.getPrepareMs(),
                    reply.isSetLeaseMs() ? reply.getLeaseMs() : 0);
        } catch (TException e) {
            throw ThriftErrors.fromWire("prepare", "the destination", address, e);
        }
    }

    @Override
    public Resume.Reply resume(Resume r) {
        List<TVcpuState> vcpus = new ArrayList<>();
        for (VcpuState v : r.vcpus()) {
            vcpus.add(new TVcpuState(v.vcpu(), ByteBuffer.wrap(v.context())));
        }
        TResume wire = new TResume(sessionId, vcpus, Wire.packBitmap(r.unpopulated()), r.pagesSentBefore());
        r.outstanding().ifPresent(o -> wire.setOutstanding(Wire.packBitmap(o)));
        if (r.targetKiB() > 0) {
            wire.setTargetKiB(r.targetKiB());
        }
        try {
            TResumeReply reply = receiver.resume(wire);
            return new Resume.Reply(reply.getResumeMs(), reply.getHandlerMs());
        } catch (TException e) {
            throw ThriftErrors.fromWire("resume", "the destination", address, e);
        }
    }

    @Override
    public void push(PageBatch batch) {
        TPages wire = new TPages();
        wire.gfns = Wire.packGfns(batch.gfns(), batch.count());   // set directly: the setters copy
        wire.pages = batch.pages();
        try {
            pusher.pushPages(sessionId, wire);
        } catch (TException e) {
            throw ThriftErrors.fromWire("push", "the destination", address, e);
        }
    }

    @Override
    public Completion complete(Complete r) {
        control.setTimeout(clamp((long) r.timeoutMs() + COMPLETE_SLACK_MS));
        try {
            TCompletion c = receiver.complete(sessionId, r.pagesSent(), r.verify(), r.timeoutMs(), r.restoreTargetKiB(),
                    r.pagesResent());
            if (c.getFaultLatency() == null) {
                throw new PeerException(RemoteError.BAD_REQUEST, "the destination's completion carries no latency");
            }
            return new Completion(c.getPagesReceived(), c.getDuplicatePages(), c.getNetworkFaults(),
                    c.getMinorFaults(), new Completion.Latency(c.getFaultLatency().getP50Us(),
                    c.getFaultLatency().getP99Us(), c.getFaultLatency().getMaxUs()), c.getPostCopyNanos(),
                    c.getGuestOpsAtResume(), c.getGuestOpsAtCompletion(), c.getGuestPagesTouched(), c.isVerified(),
                    c.getMismatchedPages(), c.getVerificationNote(), c.getDestinationDomid(), c.getCheckpoints(),
                    c.getCheckpointPauseMs(), c.getCheckpointsDeferred(), guestTime(c),
                    new Completion.Wire(c.getWireBytesToSource(), c.getWireBytesToDestination()),
                    new Completion.PagerWaits(waits(c.getPagerWaitsByFetch(), "by fetch"),
                            waits(c.getPagerWaitsByPush(), "by push"),
                            waits(c.getPagerWaitsAlreadyHere(), "for pages already here")));
        } catch (TException e) {
            throw ThriftErrors.fromWire("complete", "the destination", address, e);
        }
    }

    /** Absent fields (an older destination, or a host that cannot tell) read as unknown. */
    private static Completion.GuestTime guestTime(TCompletion c) {
        TLatency b = c.getVcpuBlockedLatency();
        return new Completion.GuestTime(b == null ? null : new Completion.Latency(b.getP50Us(), b.getP99Us(),
                b.getMaxUs()), c.isSetFirstRanMs() ? c.getFirstRanMs() : -1);
    }

    /**
     * Absent (an older destination) reads as not counted. So does a malformed one (a count without its latency, or
     * a negative count), with a warning: it comes after the handover, when the guest runs at the destination and
     * every page has landed, and a figure of the report must not fail a migration that is done.
     */
    static Completion.Waits waits(TPagerWaits w, String what) {
        if (w == null) {
            return Completion.Waits.UNKNOWN;
        }
        TLatency l = w.getLatency();
        if (l == null || w.getRequests() < 0) {
            LOG.log(Level.WARNING, "the destination''s completion carries malformed pager waits {0} ({1}); "
                    + "reported as not counted", what, w);
            return Completion.Waits.UNKNOWN;
        }
        return new Completion.Waits(w.getRequests(), new Completion.Latency(l.getP50Us(), l.getP99Us(), l.getMaxUs()));
    }

    @Override
    public LinkState heartbeat() {
        try {
            TLinkState t = heartbeatClient().heartbeat(sessionId);
            return new LinkState(t.getPhase(), t.getPagesSettled(), t.getPagesExpected(),
                    t.isSetGuestOps() ? t.getGuestOps() : -1);
        } catch (TException e) {
            throw ThriftErrors.fromWire("heartbeat", "the destination", address, e);
        }
    }

    private synchronized MigrationReceiver.Client heartbeatClient() {
        if (heartbeats == null) {
            if (closed) {
                throw new PeerException(RemoteError.CONNECTION, "the connections to the destination are closed");
            }
            heartbeatConnection = ThriftConnection.open(address, Math.min(CONNECT_TIMEOUT_MS, Math.max(stallMs, 1000)),
                    security, counted);
            heartbeatConnection.setTimeout(stallMs);
            heartbeats = heartbeatConnection.receiver();
        }
        return heartbeats;
    }

    @Override
    public Reattachment reconnect(long gfnCount, InetSocketAddress source) {
        try {
            TReconnectReply reply = receiver.reconnect(sessionId, source.getHostString(), source.getPort());
            if (reply.missing == null) {
                throw new PeerException(RemoteError.BAD_REQUEST, "the destination's reconnect reply names no pages");
            }
            return new Reattachment(Wire.unpackBitmap(reply.bufferForMissing(), gfnCount), reply.getPagesSettled(),
                    reply.getPagesReceived());
        } catch (TException e) {
            throw ThriftErrors.fromWire("reconnect", "the destination", address, e);
        }
    }

    @Override
    public void recovered() {
        try {
            receiver.recovered(sessionId);
        } catch (TException e) {
            throw ThriftErrors.fromWire("recovered", "the destination", address, e);
        }
    }

    @Override
    public void abort(String reason) {
        try {
            receiver.abort(sessionId, reason);
        } catch (TException e) {
            throw ThriftErrors.fromWire("abort", "the destination", address, e);
        }
    }

    @Override
    public void takenBack(String reason) {
        try {
            receiver.takenBack(sessionId, reason);
        } catch (TException e) {
            throw ThriftErrors.fromWire("takenBack", "the destination", address, e);
        }
    }

    @Override
    public void released() {
        try {
            receiver.released(sessionId);
        } catch (TException e) {
            throw ThriftErrors.fromWire("released", "the destination", address, e);
        }
    }

    /** Closes every connection; a call blocked on one (from another thread) fails at once. */
    @Override
    public void close() {
        ThriftConnection hb;
        synchronized (this) {
            closed = true;
            hb = heartbeatConnection;
        }
        bulk.close();
        control.close();
        if (hb != null) {
            hb.close();
        }
    }

    private static int clamp(long ms) {
        return (int) Math.min(Integer.MAX_VALUE, ms);
    }
}
