package org.xenpostcopy.migration.protocol;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.apache.thrift.TException;
import org.xenpostcopy.migration.peer.Checkpoint;
import org.xenpostcopy.migration.peer.Fetched;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.migration.peer.SourcePeer;
import org.xenpostcopy.migration.peer.WireBytes;
import org.xenpostcopy.migration.protocol.thrift.SourcePages;
import org.xenpostcopy.migration.protocol.thrift.TCheckpoint;
import org.xenpostcopy.migration.protocol.thrift.TFetchReply;
import org.xenpostcopy.migration.protocol.thrift.TPages;
import org.xenpostcopy.migration.protocol.thrift.migrationConstants;

/** {@link SourcePeer} over its own Thrift connection, so demand requests never queue behind pushed pages. */
final class ThriftSourcePeer implements SourcePeer {
    private static final int CONNECT_TIMEOUT_MS = 10_000;

    private final InetSocketAddress address;
    private final String sessionId;
    private final long gfnCount;
    private final ThriftConnection connection;
    private final SourcePages.Client pages;

    /** @param stallMs a reply that does not come within this long is a cut */
    ThriftSourcePeer(InetSocketAddress address, String sessionId, long gfnCount, int stallMs,
                     org.xenpostcopy.migration.tls.ChannelSecurity security, WireBytes wire) {
        this.address = address;
        this.sessionId = sessionId;
        this.gfnCount = gfnCount;
        this.connection = ThriftConnection.open(address, Math.min(CONNECT_TIMEOUT_MS, Math.max(stallMs, 1000)),
                security, wire);
        connection.setTimeout(stallMs);
        this.pages = connection.pages();
    }

    @Override
    public Fetched fetch(long[] gfns, int count) {
        try {
            TFetchReply reply = pages.fetch(sessionId, Wire.packGfns(gfns, count));
            if (reply.pages == null) {
                throw Wire.badRequest("fetch reply without pages");
            }
            // The fields themselves, not bufferFor*(): those copy, and these buffers are only read here.
            long[] got = Wire.unpackGfns(reply.pages.gfns, migrationConstants.MAX_BATCH_PAGES, gfnCount);
            ByteBuffer payload = reply.pages.pages;
            Wire.checkPages(payload, got.length);
            long[] already = reply.alreadySent == null ? new long[0]
                    : Wire.unpackGfns(reply.alreadySent, migrationConstants.MAX_BATCH_PAGES, gfnCount);
            return new Fetched(new PageBatch(got, got.length, payload), already, already.length,
                    reply.isSetGranted() && reply.isGranted(), reply.isSetReleased() && reply.isReleased());
        } catch (TException e) {
            throw ThriftErrors.fromWire("fetch", "the source", address, e);
        }
    }

    @Override
    public void checkpointPages(long seq, PageBatch batch) {
        try {
            TPages wire = new TPages();
            wire.gfns = Wire.packGfns(batch.gfns(), batch.count());      // set directly: the setters copy
            wire.pages = batch.pages();
            pages.checkpointPages(sessionId, seq, wire);
        } catch (TException e) {
            throw ThriftErrors.fromWire("checkpointPages", "the source", address, e);
        }
    }

    @Override
    public boolean hasReleased() {
        try {
            return pages.hasReleased(sessionId);
        } catch (TException e) {
            throw ThriftErrors.fromWire("hasReleased", "the source", address, e);
        }
    }

    @Override
    public void checkpointCommit(Checkpoint c) {
        try {
            pages.checkpointCommit(sessionId, new TCheckpoint(c.seq(), Wire.vcpusToWire(c.vcpus()),
                    Wire.packBitmap(c.unpopulated()), c.pageCount(), c.guestOps()));
        } catch (TException e) {
            throw ThriftErrors.fromWire("checkpointCommit", "the source", address, e);
        }
    }

    @Override
    public void close() {
        connection.close();
    }

    /** For messages: which session this channel serves. */
    @Override
    public String toString() {
        return "demand channel of session " + sessionId + " to " + address;
    }
}
