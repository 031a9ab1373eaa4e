package org.xenpostcopy.xen;

/**
 * The Xen paging interface: {@code xc_mem_paging_enable} with its vm_event ring and event channel.
 * One pager per domain, as in Xen ({@code EBUSY} for a second one).
 */
public interface PagingChannel {
    /**
     * Becomes the domain's pager: maps the ring, enables paging, binds the event channel, initialises the
     * ring. Close the returned session to disable paging again.
     */
    PagingSession enable(DomainId domain);
}
