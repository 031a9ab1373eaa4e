package org.xenpostcopy.xen.emulated.guest;

import java.nio.ByteBuffer;
import org.xenpostcopy.xen.XenStore;

/**
 * What the guest sees of its virtual machine: its physical memory (accesses may block on a paged-out gfn, as
 * a Xen vCPU does), two memory hypercalls, and xenstore (through xenbus).
 */
public interface GuestPlatform {
    /** Number of gfns in the physmap. */
    long pages();

    /**
     * Runs {@code action} on the page's bytes ({@code buf[off..off+4096)}) as {@code vcpu}. Blocks while the gfn is
     * paged out, until the pager loads it and answers. A write is recorded by log-dirty.
     *
     * @throws GuestCrashException if the gfn is unpopulated (a guest bug: it touched a page it gave away)
     */
    <R> R access(int vcpu, long gfn, boolean write, PageAction<R> action) throws InterruptedException;

    /** {@code XENMEM_decrease_reservation} of one gfn: the page goes back to Xen. */
    void decreaseReservation(long gfn);

    /**
     * {@code XENMEM_populate_physmap} of one gfn: a fresh, zeroed page. Returns false if Xen refuses because the
     * domain is at its max memory (the balloon driver then retries later).
     */
    boolean populatePhysmap(long gfn);

    XenStore xenstore();

    /**
     * The kernel is consistent here, inside a long piece of work (a balloon round moves thousands of pages): a host
     * that makes each guest operation atomic against its own death may let everything written so far stand, as if
     * an operation ended. Hosts without such a guarantee do nothing.
     */
    default void consistentPoint(int vcpu) {
    }

    /** {@code /local/domain/<id>}. */
    String xenstoreHome();

    @FunctionalInterface
    interface PageAction<R> {
        R apply(ByteBuffer buf, int off);
    }
}
