package org.xenpostcopy.migration.destination;

import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.XenStore;

/**
 * Creates the destination domain before the switch, paused, so the guest can start here the moment its vCPU
 * state arrives: the source's holes are given back, and for post-copy this process becomes the pager and pages
 * every other gfn out (each then arrives exactly once, by push or by demand).
 */
final class DomainPreparer {
    /** The domain as prepared: its pager session (none for pre-copy) and the holes it mirrors. */
    record PreparedDomain(DomainId domain, PagingSession paging, GfnBitmap holes, GfnBitmap toolstackPages) {
    }

    private final XenHost host;

    DomainPreparer(XenHost host) {
        this.host = host;
    }

    PreparedDomain prepare(DomainConfig config, long targetKiB, GfnBitmap holes, MigrationMode mode) {
        Admission.check(config, host.domains().freeMemoryKiB());
        DomainId domain = host.domains().create(config, false);
        PagingSession paging = null;
        try {
            long here = host.memory().gfnCount(domain);
            if (here > holes.size()) {
                // gfns above the source's physmap would keep this host's boot contents: refuse, corrupt nothing.
                throw new XenException("prepare", Errno.EINVAL, domain + " spans " + here
                        + " gfns here but the source's physmap has " + holes.size());
            }
            if (targetKiB > 0) {
                host.store().write(XenStore.domainPath(domain) + "/memory/target", Long.toString(targetKiB));
            }
            if (mode != MigrationMode.PRECOPY) {
                paging = host.paging().enable(domain);
            }
            // This host's toolstack pages (xenstore and console rings, ...) stay as its toolstack set them up.
            GfnBitmap own = new GfnBitmap(holes.size());
            for (Gfn g : host.domains().toolstackPages(domain)) {
                if (g.value() < own.size()) {
                    own.set(g.value());
                }
            }
            GfnBitmap giveBack = holes.copy();
            giveBack.andNot(own);
            host.domains().decreaseReservation(domain, giveBack);
            if (mode == MigrationMode.POSTCOPY) {
                GfnBitmap out = GfnBitmap.full(holes.size());
                out.andNot(holes);
                out.andNot(own);
                pageOut(paging, out);
            }
            return new PreparedDomain(domain, paging, holes.copy(), own);
        } catch (RuntimeException e) {
            if (paging != null) {
                paging.close();
            }
            host.domains().destroy(domain);
            throw e;
        }
    }

    /** Pages each gfn out: its contents are gone here, and the first access asks the pager. */
    static void pageOut(PagingSession paging, GfnBitmap gfns) {
        paging.evictAll(gfns);
    }
}
