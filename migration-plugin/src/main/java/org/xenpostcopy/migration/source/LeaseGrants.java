package org.xenpostcopy.migration.source;

/**
 * The source's side of the lease the destination runs the guest on (see {@code destination.SourceLease}): when it
 * last let the guest run there, and whether it still does. A grant is recorded before its reply leaves, and none
 * is given once revoked, so after {@link #revoke} every lease the destination holds ends by {@link #lastGrant}
 * plus the lease (on this clock, give or take the clocks' rate difference).
 */
final class LeaseGrants {
    private long lastGrant;
    private boolean revoked;
    private String takenBack;
    private boolean released;

    LeaseGrants() {
        this.lastGrant = System.nanoTime();
    }

    /**
     * The resume returned (or failed without an answer): the destination started its first lease when the call
     * reached it, which was before now.
     */
    synchronized void handedOver() {
        lastGrant = Math.max(lastGrant, System.nanoTime());
    }

    /** Lets the guest run on there, if not revoked; true if granted. */
    synchronized boolean grant() {
        if (released) {
            return true;
        }
        if (revoked) {
            return false;
        }
        lastGrant = System.nanoTime();
        return true;
    }

    /** Grants no more; returns the time of the last one. */
    synchronized long revoke() {
        revoked = true;
        return lastGrant;
    }

    /** The guest runs here again: the destination's copy must go (it is told so on its next call). */
    synchronized void takenBack(String why) {
        revoked = true;
        takenBack = why;
    }

    /** The copy here is destroyed after the completion: every lease is granted from now on, for good. */
    synchronized void released() {
        released = true;
    }

    synchronized boolean isReleased() {
        return released;
    }

    /** Why the guest was taken back, or null. */
    synchronized String takenBack() {
        return takenBack;
    }

    synchronized long lastGrant() {
        return lastGrant;
    }
}
