package org.xenpostcopy.xen;

/**
 * One domain as {@code xc_domain_getinfolist} reports it.
 *
 * @param totPages    pages currently populated (what the guest holds now; falls as it balloons)
 * @param maxPages    the domain's memory ceiling in pages
 * @param pagedPages  pages currently paged out by a pager
 */
public record DomainInfo(DomainId id, String name, long totPages, long maxPages, long pagedPages, int vcpus,
                         State state) {
    /** The run state, from {@code XEN_DOMINF_*} flags. */
    public enum State { RUNNING, PAUSED, SHUTDOWN, DYING }
}
