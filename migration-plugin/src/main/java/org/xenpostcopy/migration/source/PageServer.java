package org.xenpostcopy.migration.source;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;
import org.xenpostcopy.migration.protocol.Wire;
import org.xenpostcopy.migration.protocol.thrift.TErrorCode;
import org.xenpostcopy.migration.protocol.thrift.TFetchReply;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;
import org.xenpostcopy.migration.protocol.thrift.TPages;
import org.xenpostcopy.migration.protocol.thrift.migrationConstants;
import org.xenpostcopy.xen.XenException;

/**
 * Answers the destination's demand requests (its own connection and thread on this side). A requested page not
 * yet sent is claimed and sent in the reply, at the head of the link's queue; one already sent (by push) is named
 * as such — it is on its way, and sending it twice would break the once-only rule. Every request moves the
 * pre-paging pivot to where the guest faulted.
 */
public final class PageServer implements org.xenpostcopy.migration.protocol.thrift.PageServer.Iface {
    private static final Logger LOG = System.getLogger(PageServer.class.getName());
    private final ConcurrentHashMap<String, SourceSession> sessions = new ConcurrentHashMap<>();

    void register(SourceSession s) {
        sessions.put(s.id, s);
    }

    void unregister(SourceSession s) {
        sessions.remove(s.id, s);
    }

    @Override
    public TFetchReply fetch(String sessionId, ByteBuffer gfns) throws TMigrationError {
        SourceSession s = sessions.get(sessionId == null ? "" : sessionId);
        if (s == null) {
            throw Wire.error(TErrorCode.UNKNOWN_SESSION, "no outgoing migration with session id '" + sessionId + "'");
        }
        long[] wanted = Wire.unpackGfns(gfns, migrationConstants.MAX_BATCH_PAGES, s.gfnCount);
        s.demandRequests.incrementAndGet();
        s.urgentInProgress.incrementAndGet();
        try {
            return answer(s, wanted);
        } finally {
            s.urgentInProgress.decrementAndGet();
        }
    }

    private TFetchReply answer(SourceSession s, long[] wanted) throws TMigrationError {
        ByteBuffer pages = ByteBuffer.allocate(wanted.length * Wire.PAGE_SIZE);
        long[] sentNow = new long[wanted.length];
        long[] onTheirWay = new long[wanted.length];
        int n = 0;
        int already = 0;
        try {
            for (long g : wanted) {
                s.policy.onFault(g);
                if (s.sent.claim(g)) {
                    s.readPage(g, pages);
                    sentNow[n++] = g;
                } else {
                    onTheirWay[already++] = g;
                }
            }
        } catch (XenException e) {
            LOG.log(Level.ERROR, "reading a demanded page failed", e);
            throw Wire.error(TErrorCode.HOST_ERROR, e.getMessage());
        }
        long bytes = (long) n * (Wire.PAGE_SIZE + 8) + already * 8L;
        s.link.transmit(bytes, true);
        s.link.propagate();
        s.demandPages.addAndGet(n);
        s.alreadySentAnswers.addAndGet(already);
        s.wireBytes.addAndGet(bytes);
        TPages reply = new TPages();
        reply.gfns = Wire.packGfns(sentNow, n);
        pages.flip();
        reply.pages = pages;
        TFetchReply r = new TFetchReply();
        r.pages = reply;
        r.alreadySent = Wire.packGfns(onTheirWay, already);
        return r;
    }
}
