package org.xenpostcopy.migration.protocol;

import java.nio.ByteBuffer;
import org.xenpostcopy.migration.peer.Checkpoint;
import org.xenpostcopy.migration.peer.Fetched;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.protocol.thrift.SourcePages;
import org.xenpostcopy.migration.protocol.thrift.TCheckpoint;
import org.xenpostcopy.migration.protocol.thrift.TFetchReply;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;
import org.xenpostcopy.migration.protocol.thrift.TPages;
import org.xenpostcopy.migration.protocol.thrift.migrationConstants;
import org.xenpostcopy.migration.source.PageServer;

/**
 * The source's demand service on the wire: checks the caller is the destination the session was sent to, unpacks
 * the gfns, asks the {@link PageServer}, packs its answer.
 */
final class SourcePagesHandler implements SourcePages.Iface {
    private final PageServer pages;
    /** Which destination each outgoing session went to: only that identity may fetch its pages. */
    private final SessionOwners fetchers;

    SourcePagesHandler(PageServer pages, SessionOwners fetchers) {
        this.pages = pages;
        this.fetchers = fetchers;
    }

    @Override
    public TFetchReply fetch(String sessionId, ByteBuffer gfns) throws TMigrationError {
        try {
            // Pings too: their answer grants the destination's lease, and the source fails back on the last grant.
            fetchers.check(sessionId, "fetch");
            if (gfns == null || !gfns.hasRemaining()) {
                // A ping on an idle demand channel: it proves the channel and asks for nothing. Answered even
                // before the session is registered here (the destination opens its channel at prepare).
                TFetchReply ping = new TFetchReply(new TPages(ByteBuffer.allocate(0), ByteBuffer.allocate(0)),
                        ByteBuffer.allocate(0));
                Fetched answer = pages.fetch(sessionId, new long[0], 0);
                ping.setGranted(answer.granted());
                ping.setReleased(answer.released());
                return ping;
            }
            long[] wanted = Wire.unpackGfns(gfns, migrationConstants.MAX_BATCH_PAGES, pages.gfnCount(sessionId));
            Fetched f = pages.fetch(sessionId, wanted, wanted.length);
            TPages sent = new TPages();
            sent.gfns = Wire.packGfns(f.pages().gfns(), f.pages().count());   // set directly: the setters copy
            sent.pages = f.pages().pages();
            TFetchReply reply = new TFetchReply();
            reply.pages = sent;
            reply.alreadySent = Wire.packGfns(f.alreadySent(), f.alreadySentCount());
            reply.setGranted(f.granted());
            reply.setReleased(f.released());
            return reply;
        } catch (PeerException e) {
            throw ThriftErrors.toWire(e);
        }
    }

    @Override
    public boolean hasReleased(String sessionId) throws TMigrationError {
        try {
            fetchers.check(sessionId, "hasReleased");
            return pages.hasReleased(sessionId);
        } catch (PeerException e) {
            throw ThriftErrors.toWire(e);
        }
    }

    @Override
    public void checkpointPages(String sessionId, long seq, TPages batch) throws TMigrationError {
        try {
            fetchers.check(sessionId, "checkpointPages");
            if (batch == null) {
                throw Wire.badRequest("no pages");
            }
            long[] gfns = Wire.unpackGfns(batch.gfns, migrationConstants.MAX_BATCH_PAGES, pages.gfnCount(sessionId));
            Wire.checkPages(batch.pages, gfns.length);
            pages.checkpointPages(sessionId, seq, new PageBatch(gfns, gfns.length, batch.pages));
        } catch (PeerException e) {
            throw ThriftErrors.toWire(e);
        }
    }

    @Override
    public void checkpointCommit(String sessionId, TCheckpoint c) throws TMigrationError {
        try {
            fetchers.check(sessionId, "checkpointCommit");
            if (c == null || c.unpopulated == null) {
                throw Wire.badRequest("a checkpoint commit without its hole map");
            }
            long span = pages.gfnCount(sessionId);
            pages.checkpointCommit(sessionId, new Checkpoint(c.getSeq(), Wire.vcpus(c.getVcpus()),
                    Wire.unpackBitmap(c.bufferForUnpopulated(), span), c.getPageCount(), c.getGuestOps()));
        } catch (PeerException e) {
            throw ThriftErrors.toWire(e);
        }
    }
}
