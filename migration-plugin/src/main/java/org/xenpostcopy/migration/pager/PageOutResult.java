package org.xenpostcopy.migration.pager;

/**
 * What one {@link PageOutRun} did.
 *
 * @param candidates      gfns chosen to page out
 * @param evicted         gfns actually paged out (nominate and evict both succeeded)
 * @param busy            gfns Xen refused (EBUSY: mapped by a backend, special, or touched between the steps)
 * @param faultsServed    ring requests answered while the pages were out
 * @param loadedOnFault   pages loaded because a request asked for them
 * @param loadedAtEnd     pages loaded back proactively when the hold ended
 * @param foreignRequests requests from foreign mappers rather than the guest's vCPUs
 * @param pageOutMs       time to page the candidates out
 * @param holdMs          time the pages were left out, serving faults
 */
public record PageOutResult(long candidates, long evicted, long busy, long faultsServed, long loadedOnFault,
                            long loadedAtEnd, long foreignRequests, long pageOutMs, long holdMs) {
    public String summary() {
        return String.format("paged out %d of %d gfns (%d busy) in %d ms; held %d ms: %d faults served, "
                        + "%d pages loaded on fault, %d loaded back at the end, %d foreign requests",
                evicted, candidates, busy, pageOutMs, holdMs, faultsServed, loadedOnFault, loadedAtEnd, foreignRequests);
    }
}
