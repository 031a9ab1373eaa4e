package org.xenpostcopy.migration.destination;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.function.BooleanSupplier;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;

/**
 * Notices a guest that stopped on this host (crashed, shut down, destroyed) while its pages were still coming: a
 * dead guest sends no more requests, so nothing else would. Records why, once. The pages still at the source
 * are then the only copy of a guest that is gone here.
 */
final class GuestWatch {
    private static final Logger LOG = System.getLogger(GuestWatch.class.getName());

    private final XenHost host;
    private final DomainId domain;
    private final String session;
    private volatile String lost;

    GuestWatch(XenHost host, DomainId domain, String session) {
        this.host = host;
        this.domain = domain;
        this.session = session;
    }

    /**
     * Checks the guest still runs here, if {@code stillWaiting} says pages are still expected; returns true if it
     * was found lost by this call.
     */
    boolean check(BooleanSupplier stillWaiting, String progress) {
        if (lost != null || !stillWaiting.getAsBoolean()) {
            return false;
        }
        String why;
        try {
            DomainInfo.State state = host.domains().info(domain).state();
            if (state == DomainInfo.State.RUNNING || state == DomainInfo.State.PAUSED) {
                return false;
            }
            why = domain + (state == DomainInfo.State.SHUTDOWN ? " shut down (crashed, rebooted or powered off)"
                    : " is being destroyed");
        } catch (XenException e) {
            why = domain + " is gone (" + e.getMessage() + ")";
        }
        lost = why + " after " + progress;
        LOG.log(Level.ERROR, "session {0}: the guest stopped on this host during post-copy: {1}", session, lost);
        return true;
    }

    /** Why the guest stopped here before its last page arrived, or null while it runs. */
    String lost() {
        return lost;
    }
}
