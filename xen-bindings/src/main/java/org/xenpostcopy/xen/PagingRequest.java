package org.xenpostcopy.xen;

/**
 * A mem_paging request taken from the vm_event ring: some vCPU (or a foreign mapper) touched a paged-out gfn.
 *
 * @param gfn      the page wanted
 * @param vcpu     the vCPU that faulted ({@code vcpu_id})
 * @param vcpuPaused the {@code VM_EVENT_FLAG_VCPU_PAUSED} flag: the vCPU waits for the response
 * @param foreign  {@code VM_EVENT_FLAG_FOREIGN}: a foreign mapper, not the guest, asked; it retries by itself
 * @param p2mType  the gfn's p2m type when the request was made
 * @param pagingFlags {@code vm_event_paging.flags} ({@code MEM_PAGING_DROP_PAGE}, ...)
 */
public record PagingRequest(Gfn gfn, int vcpu, boolean vcpuPaused, boolean foreign, P2mType p2mType,
                            int pagingFlags) {
    /** {@code MEM_PAGING_DROP_PAGE} of {@code vm_event.h}. */
    public static final int MEM_PAGING_DROP_PAGE = 1;

    /**
     * Not a fault: the guest gave this paged-out gfn back ({@code decrease_reservation}) and Xen tells the pager
     * it may drop its copy. It must still be answered — it holds a ring slot.
     */
    public boolean dropsPage() {
        return (pagingFlags & MEM_PAGING_DROP_PAGE) != 0;
    }
}
