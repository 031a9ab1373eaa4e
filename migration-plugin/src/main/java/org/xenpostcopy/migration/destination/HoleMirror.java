package org.xenpostcopy.migration.destination;

import java.nio.ByteBuffer;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Gfn;
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
     * @param toolstackPages this host's toolstack pages, which prepare left alone
     * @param refilled    prepared holes a pre-copy page has filled since
     * @param finalHoles  the source's holes at pause time
     * @param outstanding hybrid: the gfns the source will still send; ignored otherwise
     * @return the gfns that will arrive after the switch
     */
    GfnBitmap mirror(GfnBitmap prepared, GfnBitmap toolstackPages, GfnBitmap refilled, GfnBitmap finalHoles,
                     GfnBitmap outstanding) {
        GfnBitmap appeared = finalHoles.copy();
        appeared.andNot(prepared);
        appeared.andNot(toolstackPages);      // this host's, as prepare left them
        if (!appeared.isEmpty()) {
            if (mode == MigrationMode.POSTCOPY) {
                // Paged out since prepare, and Xen 4.17 will not give a paged-out gfn back (guest_remove_page fails
                // it with EILSEQ: the paged entry has no frame to remove). Paged in blank first, then given back.
                pageInBlank(appeared);
            }
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

    private void pageInBlank(GfnBitmap gfns) {
        ByteBuffer zeros = ByteBuffer.allocateDirect(Gfn.PAGE_SIZE);
        gfns.forEach(g -> paging.load(Gfn.of(g), zeros.clear()));
    }
}
