package org.xenpostcopy.migration.destination;

import java.util.function.Supplier;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.GfnBitmap;

/**
 * The hole map of a guest whose pages are still arriving, read without paging anything back in — what a reverse
 * checkpoint carries, so the source can give its copy the holes the guest's balloon made or filled here.
 *
 * <p>Xen reads a gfn's type with {@code P2M_ALLOC}, which pages a paged-out gfn back in, so the host refuses the
 * whole domain's map while the pager holds pages out — all of post-copy. The map is pieced together instead: a gfn
 * the pager may still hold out counts as populated (its page is still at the source; if the guest gave it back
 * meanwhile, the source keeps a page the guest no longer uses, which costs memory, not correctness), and only the
 * other gfns' types are read from Xen.
 *
 * <p>That read costs one call per 1024 gfns, too slow to repeat inside every checkpoint's pause, so it is made
 * with the guest running and bracketed by the domain's held-page count, which only the balloon moves (a load
 * turns a paged-out page into a present one and leaves it alone). With the guest paused only the count is read
 * again: unchanged, the map read live still holds; changed, the map is read again before the guest runs on.
 */
final class PostCopyHoleMap {
    private final DomainControl domains;
    private final DomainId domain;
    private final long gfnCount;
    private final Supplier<GfnBitmap> stillPagedOut;
    private GfnBitmap readLive;
    private long heldWhenRead = -1;
    private long readsWhilePaused;

    /** @param stillPagedOut the gfns the pager may still hold out (a superset will do), or null if not known yet */
    PostCopyHoleMap(DomainControl domains, DomainId domain, long gfnCount, Supplier<GfnBitmap> stillPagedOut) {
        this.domains = domains;
        this.domain = domain;
        this.gfnCount = gfnCount;
        this.stillPagedOut = stillPagedOut;
    }

    /** Reads the populated gfns with the guest running, and the held-page count it was read under. */
    void readWhileRunning() {
        long before = domains.heldPages(domain);
        GfnBitmap populated = populatedNow();
        long after = domains.heldPages(domain);
        readLive = populated;
        heldWhenRead = before == after ? before : -1;     // the balloon moved during the read: read it again paused
    }

    /** The holes now; call with the guest paused, after {@link #readWhileRunning}. */
    GfnBitmap holesWhilePaused() {
        GfnBitmap populated = readLive;
        readLive = null;
        if (populated == null || domains.heldPages(domain) != heldWhenRead) {
            populated = populatedNow();
            readsWhilePaused++;
        }
        GfnBitmap holes = GfnBitmap.full(gfnCount);
        holes.andNot(populated);
        return holes;
    }

    /** Pauses that had to read the map again because the balloon moved since it was read live. */
    long readsWhilePaused() {
        return readsWhilePaused;
    }

    private GfnBitmap populatedNow() {
        GfnBitmap pagedOut = stillPagedOut.get();
        if (pagedOut == null) {
            throw new IllegalStateException("the pages still to come are not known yet");
        }
        GfnBitmap readable = GfnBitmap.full(gfnCount);
        readable.andNot(pagedOut);
        GfnBitmap populated = domains.populatedAmong(domain, readable);
        populated.or(pagedOut);
        return populated;
    }
}
