package org.xenpostcopy.migration.destination;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.XenHost;

/**
 * Pages pushed before the switch (pre-copy, hybrid): written straight into guest memory, each replacing what an
 * earlier round sent. A gfn the guest had ballooned out is populated again first. The switch waits here until
 * every page the source sent before it has been written.
 */
final class PrecopyWriter {
    private final XenHost host;
    private final DomainId domain;
    private final GfnBitmap preparedHoles;
    /**
     * Prepared holes that a pre-copy page filled again. The domain stays paused until resume, so prepare's holes
     * minus these are exactly its unpopulated gfns: no p2m query is needed (natively one would page gfns in).
     * Guarded by itself.
     */
    private final GfnBitmap refilled;
    private final Object written = new Object();
    private long count;

    PrecopyWriter(XenHost host, DomainId domain, GfnBitmap preparedHoles) {
        this.host = host;
        this.domain = domain;
        this.preparedHoles = preparedHoles;
        this.refilled = new GfnBitmap(preparedHoles.size());
    }

    void write(long gfn, ByteBuffer page) {
        synchronized (refilled) {
            // Populated under the lock, so a second copy of the page cannot be written before the gfn exists.
            if (preparedHoles.get(gfn) && !refilled.get(gfn)) {
                GfnBitmap one = new GfnBitmap(preparedHoles.size());
                one.set(gfn);
                host.domains().populate(domain, one);
                refilled.set(gfn);
            }
        }
        host.memory().write(domain, Gfn.of(gfn), page);
        synchronized (written) {
            count++;
            written.notifyAll();
        }
    }

    long pagesWritten() {
        synchronized (written) {
            return count;
        }
    }

    /** The prepared holes that pre-copy has filled since. */
    GfnBitmap refilled() {
        synchronized (refilled) {
            return refilled.copy();
        }
    }

    /** Waits until {@code sent} pages have been written; they may still be in flight on the push connection. */
    void awaitWritten(long sent, long waitMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        synchronized (written) {
            while (count < sent) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new PeerException(RemoteError.WRONG_STATE, "only " + count + " of the " + sent
                            + " pre-copy pages arrived within " + waitMs + " ms");
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(written, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new PeerException(RemoteError.WRONG_STATE, "interrupted while waiting for pre-copy pages");
                }
            }
        }
    }
}
