package org.xenpostcopy.migration.destination;

import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.XenHost;

/**
 * At the switch, makes the destination domain's p2m match the source's final one: the balloon may have moved
 * since prepare. Only the difference is redone — holes that appeared are given back; pages that came back are
 * populated (and, for post-copy, paged out like the rest) — then names the pages still to come.
 */
final class HoleMirror {
    private final XenHost host;
    private final DomainId domain;
    private final PagingSession paging;
    private final MigrationMode mode;

    HoleMirror(XenHost host, DomainId domain, PagingSession paging, MigrationMode mode) {
        this.host = host;
        this.domain = domain;
        this.paging = paging;
        this.mode = mode;
    }

    /**
     * @param prepared    the holes prepare gave back
     * @param refilled    prepared holes a pre-copy page has filled since
     * @param finalHoles  the source's holes at pause time
     * @param outstanding hybrid: the gfns the source will still send; ignored otherwise
     * @return the gfns that will arrive after the switch
     */
    GfnBitmap mirror(GfnBitmap prepared, GfnBitmap refilled, GfnBitmap finalHoles, GfnBitmap outstanding) {
        GfnBitmap appeared = finalHoles.copy();
        appeared.andNot(prepared);
        if (!appeared.isEmpty()) {
            host.domains().decreaseReservation(domain, appeared);
        }
        GfnBitmap refill = prepared.copy();
        refill.andNot(finalHoles);
        refill.andNot(refilled);
        if (!refill.isEmpty()) {
            host.domains().populate(domain, refill);
            if (mode == MigrationMode.POSTCOPY) {
                DomainPreparer.pageOut(paging, refill);
            }
        }
        GfnBitmap toCome;
        switch (mode) {
            case POSTCOPY -> {
                toCome = GfnBitmap.full(finalHoles.size());
                toCome.andNot(finalHoles);
            }
            case HYBRID -> {
                if (outstanding == null) {
                    throw new IllegalArgumentException("a hybrid resume must name the outstanding pages");
                }
                toCome = outstanding.copy();
                toCome.andNot(finalHoles);
                DomainPreparer.pageOut(paging, toCome);
            }
            default -> toCome = new GfnBitmap(finalHoles.size());
        }
        return toCome;
    }
}
