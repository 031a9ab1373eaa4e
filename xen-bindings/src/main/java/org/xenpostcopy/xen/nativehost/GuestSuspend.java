package org.xenpostcopy.xen.nativehost;

import java.util.concurrent.TimeUnit;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStore;

/**
 * The guest's side of a migration's switch on real Xen: it is asked to suspend itself (xenstore
 * {@code control/shutdown = suspend}, as xl does), and, if the migration fails, resumed in place
 * ({@code xc_domain_resume}, from libxenguest), so its own code rebinds what lives in Xen rather than in its memory.
 */
final class GuestSuspend {
    private static final int SHUTDOWN_SUSPEND = 2;
    private static final long SUSPEND_TIMEOUT_MS = 60_000;

    private final Handles.XcInterface xch;
    private final XenStore store;
    /** Null where libxenguest is missing: then a failed migration cannot undo the guest's suspend. */
    private final LibXenGuest guestLib;
    private final XcDomainQueries queries;

    GuestSuspend(Handles.XcInterface xch, XenStore store, LibXenGuest guestLib, XcDomainQueries queries) {
        this.xch = xch;
        this.store = store;
        this.guestLib = guestLib;
        this.queries = queries;
    }

    private static int shutdownCode(XcDomainInfo i) {
        return (i.flags >>> 16) & 0xff;
    }

    /**
     * Asks the guest to suspend, as xl does, and waits until Xen reports it shut down for suspend. The guest
     * freezes its tasks and devices first, so this takes as long as the guest needs.
     */
    void suspend(DomainId domain) {
        String control = XenStore.domainPath(domain) + "/control/shutdown";
        store.write(control, "suspend");
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SUSPEND_TIMEOUT_MS);
        while (true) {
            XcDomainInfo i = queries.infoOf(domain, "suspend");
            if ((i.flags & XcDomainInfo.DOMINF_SHUTDOWN) != 0) {
                if (shutdownCode(i) == SHUTDOWN_SUSPEND) {
                    return;
                }
                throw new XenException("suspend", Errno.EIO, domain + " shut down with reason " + shutdownCode(i)
                        + " instead of suspending");
            }
            if (System.nanoTime() > deadline) {
                store.write(control, "");
                throw new XenException("suspend", Errno.ETIMEDOUT, domain + " did not suspend within "
                        + SUSPEND_TIMEOUT_MS / 1000 + " s of control/shutdown=suspend (does it run xenbus?)");
            }
            try {
                Thread.sleep(5);   // Xen reports a suspend only through this poll or an @releaseDomain watch
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new XenException("suspend", Errno.EINTR, domain + ": interrupted waiting for the suspend");
            }
        }
    }

    /**
     * Resumes the guest in place if it suspended itself ({@code xc_domain_resume}). Returns false if it had not:
     * then a plain unpause undoes the switch.
     *
     * @param cancelled the guest's suspend call returns "cancelled" (libxc's cooperative resume rewrites its return
     *                  register), so it goes on with the bindings it had; false for a guest whose registers were
     *                  restored over it (a checkpoint's): only the shutdown is cleared, nothing of its state touched
     */
    boolean resumeIfSuspended(DomainId domain, boolean cancelled) {
        XcDomainInfo i = queries.infoOf(domain, "xc_domain_resume");
        if ((i.flags & XcDomainInfo.DOMINF_SHUTDOWN) == 0 || shutdownCode(i) != SHUTDOWN_SUSPEND) {
            return false;
        }
        if (guestLib == null) {
            throw new XenException("xc_domain_resume", Errno.ENOSYS, domain
                    + " suspended itself and libxenguest is missing to resume it (apt-get install libxenmisc4.17)");
        }
        // fast=0 on an HVM/PVH guest is XEN_DOMCTL_resumedomain alone (libxc's xc_domain_resume_hvm).
        XenErrors.check(guestLib.xc_domain_resume(xch, domain.value(), cancelled ? 1 : 0), "xc_domain_resume", domain);
        return true;
    }
}
