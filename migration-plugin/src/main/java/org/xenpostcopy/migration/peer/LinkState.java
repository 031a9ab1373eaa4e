package org.xenpostcopy.migration.peer;

/**
 * The destination's side of a post-copy session, as its heartbeat answer reports it.
 *
 * @param phase        the destination's phase, by name (RUNNING, PAUSED, RECOVERING, COMPLETED, LOST)
 * @param pagesSettled post-copy pages loaded (or given back by the guest) so far
 * @param pagesExpected post-copy pages the destination waits for in all
 * @param guestOps     guest operations at the destination now (-1 if unknown)
 */
public record LinkState(String phase, long pagesSettled, long pagesExpected, long guestOps) {
    public LinkState(String phase, long pagesSettled, long pagesExpected) {
        this(phase, pagesSettled, pagesExpected, -1);
    }

    /**
     * The destination lost its demand channel or its source's heartbeats — or sits in RECOVERING, which a source
     * that heartbeats has already left (a late reconnect from an abandoned attempt put it there, with its demand
     * channel closed): only a reconnect helps it.
     */
    public boolean cutAtDestination() {
        return "PAUSED".equals(phase) || "RECOVERING".equals(phase);
    }

    /** The destination's guest stopped there: the session cannot go on, and the source must hear why. */
    public boolean guestLost() {
        return "LOST".equals(phase);
    }
}
