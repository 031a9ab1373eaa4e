package org.xenpostcopy.migration.source;

import java.nio.ByteBuffer;
import org.apache.thrift.TException;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.link.LinkShaper;
import org.xenpostcopy.migration.protocol.Wire;
import org.xenpostcopy.migration.protocol.thrift.MigrationReceiver;
import org.xenpostcopy.migration.protocol.thrift.TPages;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;

/**
 * Sends one pre-copy round: the given gfns, in gfn order, in batches on the push connection, while the guest may
 * still run (a page it writes meanwhile is dirty again and goes in a later round). A page ballooned out since the
 * round was planned is skipped; the final hole map tells the destination.
 */
final class PreCopySender {
    private final XenHost host;
    private final DomainId domain;
    private final String sessionId;
    private final MigrationReceiver.Client push;
    private final LinkShaper link;
    private final int batchPages;
    private final ByteBuffer pages;
    private final long[] gfns;
    private long pagesSent;
    private long bytesSent;

    PreCopySender(XenHost host, DomainId domain, String sessionId, MigrationReceiver.Client push, LinkShaper link,
                  int batchPages) {
        this.host = host;
        this.domain = domain;
        this.sessionId = sessionId;
        this.push = push;
        this.link = link;
        this.batchPages = batchPages;
        this.pages = ByteBuffer.allocateDirect(batchPages * Wire.PAGE_SIZE);
        this.gfns = new long[batchPages];
    }

    /**
     * Sends every gfn of {@code round}; returns how many pages went.
     *
     * @param guestRunning a live round: a gfn the guest gave back since the round was planned cannot be mapped
     *                     (ENOENT on the emulated host, EINVAL from a PV dom0's foreign map) and is skipped — it
     *                     stays unsent, so the stop-and-copy sends it if it is populated again by then. With the
     *                     guest stopped nothing can vanish, and any failure is an error: no page is dropped.
     */
    long send(GfnBitmap round, Runnable afterBatch, boolean guestRunning) {
        long sent = 0;
        long g = round.nextSet(0);
        while (g >= 0) {
            int n = 0;
            pages.clear();
            while (n < batchPages && g >= 0) {
                int pos = pages.position();
                try {
                    host.memory().read(domain, Gfn.of(g), pages);
                    gfns[n++] = g;
                } catch (XenException e) {
                    if (!guestRunning || !(e.is(Errno.ENOENT) || e.is(Errno.EINVAL))) {
                        throw e;
                    }
                    pages.position(pos);   // given back since the round was planned: nothing to send now
                }
                g = round.nextSet(g + 1);
            }
            if (n == 0) {
                continue;
            }
            pages.flip();
            long bytes = (long) n * (Wire.PAGE_SIZE + 8);
            link.transmit(bytes, false);
            TPages batch = new TPages();
            batch.gfns = Wire.packGfns(gfns, n);
            batch.pages = pages;
            try {
                push.pushPages(sessionId, batch);
            } catch (TException e) {
                throw new MigrationException("the push connection to the destination failed during pre-copy: "
                        + e.getMessage(), e);
            }
            sent += n;
            bytesSent += bytes;
            afterBatch.run();
        }
        pagesSent += sent;
        return sent;
    }

    long pagesSent() {
        return pagesSent;
    }

    long bytesSent() {
        return bytesSent;
    }
}
