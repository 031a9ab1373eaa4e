package org.xenpostcopy.migration.destination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.P2mType;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;

/**
 * The switch of a post-copy on a host that behaves as Xen 4.17 does: a gfn the source's balloon gave back after
 * prepare is paged out here, and Xen will not give a paged-out gfn back (the lab's first short run failed its resume
 * so: {@code xc_domain_decrease_reservation_exact: EINVAL}). The mirror pages it in blank first.
 */
class HoleMirrorTest {
    private static final long PAGES = 4096;

    @Test
    void holesTheSourcesBalloonMadeAfterPrepareAreGivenBackThoughPagedOutHere() {
        try (EmulatedXenHost host = new EmulatedXenHost("h", 256)) {
            DomainPreparer.PreparedDomain prepared = new DomainPreparer(host).prepare(
                    DomainConfig.ofMiB("vm", PAGES / 256, "idle", 1), 0, bits(10, 11), MigrationMode.POSTCOPY);
            DomainId d = prepared.domain();
            GfnBitmap ballooned = bits(10, 11, 500, 501, 4000);
            GfnBitmap toCome = new HoleMirror(host, d, prepared.paging(), MigrationMode.POSTCOPY).mirror(
                    prepared.holes(), prepared.toolstackPages(), new GfnBitmap(PAGES), ballooned, null);

            for (long g : new long[] {10, 11, 500, 501, 4000}) {
                assertEquals(P2mType.INVALID, host.memory().typeOf(d, Gfn.of(g)), "gfn " + g + " is a hole here");
            }
            assertEquals(P2mType.PAGED, host.memory().typeOf(d, Gfn.of(499)));
            assertEquals(PAGES - 5, toCome.cardinality());
            prepared.paging().close();
        }
    }

    @Test
    void theHostRefusesToGiveBackAPagedOutGfnAsXenDoes() {
        try (EmulatedXenHost host = new EmulatedXenHost("h", 256)) {
            DomainPreparer.PreparedDomain prepared = new DomainPreparer(host).prepare(
                    DomainConfig.ofMiB("vm", PAGES / 256, "idle", 1), 0, new GfnBitmap(PAGES), MigrationMode.POSTCOPY);
            XenException e = assertThrows(XenException.class,
                    () -> host.domains().decreaseReservation(prepared.domain(), bits(500)));
            assertEquals(true, e.getMessage().contains("gfn 0x1f4 is paged out"), e.getMessage());
            assertEquals(P2mType.PAGED, host.memory().typeOf(prepared.domain(), Gfn.of(500)));
            prepared.paging().close();
        }
    }

    private static GfnBitmap bits(long... gfns) {
        GfnBitmap b = new GfnBitmap(PAGES);
        for (long g : gfns) {
            b.set(g);
        }
        return b;
    }
}
