package org.xenpostcopy.migration.protocol;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.thrift.TException;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.peer.Complete;
import org.xenpostcopy.migration.peer.Completion;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.peer.Prepare;
import org.xenpostcopy.migration.peer.Resume;
import org.xenpostcopy.migration.protocol.thrift.MigrationReceiver;
import org.xenpostcopy.migration.protocol.thrift.TCompletion;
import org.xenpostcopy.migration.protocol.thrift.TDomainSpec;
import org.xenpostcopy.migration.protocol.thrift.TPages;
import org.xenpostcopy.migration.protocol.thrift.TPrepare;
import org.xenpostcopy.migration.protocol.thrift.TPrepareReply;
import org.xenpostcopy.migration.protocol.thrift.TResume;
import org.xenpostcopy.migration.protocol.thrift.TResumeReply;
import org.xenpostcopy.migration.protocol.thrift.TVcpuState;
import org.xenpostcopy.xen.VcpuState;

/** {@link DestinationPeer} over two Thrift connections: control calls on one, oneway pushes on the other. */
final class ThriftDestinationPeer implements DestinationPeer {
    private static final int CONNECT_TIMEOUT_MS = 10_000;
    /**
     * One push batch is a few hundred KiB: a destination that takes this long to take one is gone (a host that
     * vanished sends no reset, and TCP alone would keep retrying for a quarter of an hour).
     */
    private static final int PUSH_TIMEOUT_MS = 120_000;
    /** How much longer than the destination's own wait a completion may take to come back. */
    private static final int COMPLETE_SLACK_MS = 60_000;

    private final InetSocketAddress address;
    private final String sessionId;
    private final ThriftConnection control;
    private final ThriftConnection bulk;
    private final MigrationReceiver.Client receiver;
    private final MigrationReceiver.Client pusher;

    ThriftDestinationPeer(InetSocketAddress address, String sessionId, long controlTimeoutMs,
                          org.xenpostcopy.migration.tls.ChannelSecurity security) {
        this.address = address;
        this.sessionId = sessionId;
        this.control = ThriftConnection.open(address, CONNECT_TIMEOUT_MS, security);
        try {
            this.bulk = ThriftConnection.open(address, CONNECT_TIMEOUT_MS, security);
        } catch (MigrationException e) {
            control.close();
            throw e;
        }
        control.setTimeout(clamp(controlTimeoutMs));
        bulk.setTimeout(PUSH_TIMEOUT_MS);
        this.receiver = control.receiver();
        this.pusher = bulk.receiver();
    }

    @Override
    public Prepare.Reply prepare(Prepare r) {
        TDomainSpec spec = new TDomainSpec(r.domain().name(), r.domain().memoryPages(), r.domain().vcpus(),
                r.domain().guest(), r.domain().seed(), r.targetKiB());
        TPrepare wire = new TPrepare(sessionId, spec, r.source().getHostString(), r.source().getPort(), r.linkMbps(),
                r.linkLatencyMs(), Wire.packBitmap(r.unpopulated()), r.mode().wireName());
        wire.setGfnCount(r.unpopulated().size());
        try {
            TPrepareReply reply = receiver.prepare(wire);
            return new Prepare.Reply(reply.getDestinationDomid(), reply.getPrepareMs());
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
            TCompletion c = receiver.complete(sessionId, r.pagesSent(), r.verify(), r.timeoutMs(), r.restoreTargetKiB());
            if (c.getFaultLatency() == null) {
                throw new PeerException(RemoteError.BAD_REQUEST, "the destination's completion carries no latency");
            }
            return new Completion(c.getPagesReceived(), c.getDuplicatePages(), c.getNetworkFaults(),
                    c.getPrepagedHits(), new Completion.Latency(c.getFaultLatency().getP50Us(),
                    c.getFaultLatency().getP99Us(), c.getFaultLatency().getMaxUs()), c.getPostCopyNanos(),
                    c.getGuestOpsAtResume(), c.getGuestOpsAtCompletion(), c.getGuestPagesTouched(), c.isVerified(),
                    c.getMismatchedPages(), c.getVerificationNote(), c.getDestinationDomid());
        } catch (TException e) {
            throw ThriftErrors.fromWire("complete", "the destination", address, e);
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
    public void close() {
        bulk.close();
        control.close();
    }

    private static int clamp(long ms) {
        return (int) Math.min(Integer.MAX_VALUE, ms);
    }
}
