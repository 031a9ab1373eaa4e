package org.xenpostcopy.xen;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A pager's hold on one domain: the mem_paging operations plus the back end of the vm_event ring.
 *
 * <p>Xen's contract, which every implementation keeps: a guest access to a paged-out gfn blocks that vCPU
 * and puts a request on the ring; the vCPU runs again only after the page is loaded and the request answered.
 * A gfn is paged out in two steps, {@link #nominate} then {@link #evict}; a guest access in between cancels the
 * nomination and the eviction fails with {@code EBUSY}. {@link #load} works with or without a pending request,
 * so pushed pages can be loaded ahead of any fault.
 *
 * <p>Thread-safety: the mem_paging operations and {@link #awaitEvent} may be called from any thread; the ring
 * operations ({@link #takeRequests}, {@link #respond}, {@link #pushResponses}) must not run concurrently: one
 * thread owns them, or the caller serialises them with a lock.
 */
public interface PagingSession extends AutoCloseable {
    DomainId domain();

    /** {@code xc_mem_paging_nominate}: mark a populated gfn for eviction. {@code EBUSY} if it cannot be. */
    void nominate(Gfn gfn);

    /** {@code xc_mem_paging_evict}: drop the nominated page; its contents are gone. {@code EBUSY} if touched since. */
    void evict(Gfn gfn);

    /**
     * Pages every gfn of {@code gfns} out, their contents dropped unread: a migration's receiver, whose pages will
     * all come from the source, starts so. Xen has no bulk call, so this nominates and evicts each gfn in turn; a
     * host that can set the whole p2m at once does. On failure the gfns before the one named are paged out.
     */
    default void evictAll(GfnBitmap gfns) {
        gfns.forEach(g -> {
            Gfn gfn = Gfn.of(g);
            nominate(gfn);
            evict(gfn);
        });
    }

    /** {@code xc_mem_paging_load}: fill a paged-out gfn with 4096 bytes from {@code src} and make it present. */
    void load(Gfn gfn, ByteBuffer src);

    /**
     * Waits up to the timeout for the event channel ({@code xenevtchn_pending}, then unmask). Returns whether it
     * fired. Requests may be on the ring either way; take them with {@link #takeRequests}.
     */
    boolean awaitEvent(long timeout, TimeUnit unit) throws InterruptedException;

    /** Takes every request now on the ring into {@code out} and re-arms the request event; returns how many. */
    int takeRequests(List<PagingRequest> out);

    /** {@link #takeRequests}, waiting up to the timeout for the event channel first if the ring is empty. */
    default int awaitRequests(List<PagingRequest> out, long timeout, TimeUnit unit) throws InterruptedException {
        int n = takeRequests(out);
        if (n > 0) {
            return n;
        }
        awaitEvent(timeout, unit);
        return takeRequests(out);
    }

    /** Puts the response to {@code request} on the ring (version 7, same vCPU, flags and gfn), not yet visible. */
    void respond(PagingRequest request);

    /** Publishes the responses put since the last call and notifies the event channel. */
    void pushResponses();

    /** Disables paging ({@code xc_mem_paging_disable}) and unmaps the ring. */
    @Override
    void close();
}
