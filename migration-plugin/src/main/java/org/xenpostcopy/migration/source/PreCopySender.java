package org.xenpostcopy.migration.source;

import java.nio.ByteBuffer;
import org.xenpostcopy.migration.link.LinkShaper;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;

/**
 * Sends pre-copy pages: the given gfns, in gfn order, in batches on the push channel, while the guest may still
 * run (a page it writes meanwhile is dirty again and goes in a later round). A page ballooned out since the
 * round was planned is skipped; the final hole map tells the destination.
 */
final class PreCopySender {
    /** Bytes one page costs on the wire: its contents and its gfn. */
    static final int WIRE_BYTES_PER_PAGE = Gfn.PAGE_SIZE + 8;

    private final XenHost host;
    private final DomainId domain;
    private final DestinationPeer destination;
    private final LinkShaper link;
    private final int batchPages;
    private final ByteBuffer pages;
    private final long[] gfns;
    private long pagesSent;

    PreCopySender(XenHost host, DomainId domain, DestinationPeer destination, LinkShaper link, int batchPages) {
        this.host = host;
        this.domain = domain;
        this.destination = destination;
        this.link = link;
        this.batchPages = batchPages;
        this.pages = ByteBuffer.allocateDirect(batchPages * Gfn.PAGE_SIZE);
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
            long bytes = (long) n * WIRE_BYTES_PER_PAGE;
            link.transmit(bytes, false);
            destination.push(new PageBatch(gfns, n, pages));
            sent += n;
            afterBatch.run();
        }
        pagesSent += sent;
        return sent;
    }

    long pagesSent() {
        return pagesSent;
    }
}
