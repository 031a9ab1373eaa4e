package org.xenpostcopy.xen.ring;

/**
 * Sizes and offsets of {@code vm_event_st} and of the shared ring page, x86-64, Xen 4.17
 * (VM_EVENT_INTERFACE_VERSION 7). Pinned against the C header by VmEventLayoutTest.
 */
public final class VmEventLayout {
    private VmEventLayout() {
    }

    public static final int INTERFACE_VERSION = 7;
    public static final int PAGE_SIZE = 4096;

    // vm_event_st
    public static final int EVENT_SIZE = 400;
    public static final int OFF_VERSION = 0;
    public static final int OFF_FLAGS = 4;
    public static final int OFF_REASON = 8;
    public static final int OFF_VCPU_ID = 12;
    public static final int OFF_ALTP2M_IDX = 16;
    /** Start of union {@code u}; for paging it is {@code struct vm_event_paging}. */
    public static final int OFF_U = 24;
    public static final int OFF_PAGING_GFN = OFF_U;
    public static final int OFF_PAGING_P2MT = OFF_U + 8;
    public static final int OFF_PAGING_FLAGS = OFF_U + 12;
    public static final int U_SIZE = 32;
    public static final int OFF_DATA = 56;
    public static final int DATA_SIZE = 344;

    // struct vm_event_sring (DEFINE_RING_TYPES)
    public static final int OFF_REQ_PROD = 0;
    public static final int OFF_REQ_EVENT = 4;
    public static final int OFF_RSP_PROD = 8;
    public static final int OFF_RSP_EVENT = 12;
    public static final int OFF_PVT = 16;
    public static final int OFF_RING = 64;
    /** {@code __RING_SIZE}: (4096 - 64) / 400 = 10, rounded down to a power of two. */
    public static final int RING_SIZE = Integer.highestOneBit((PAGE_SIZE - OFF_RING) / EVENT_SIZE);

    // constants
    public static final int REASON_MEM_PAGING = 3;
    public static final int FLAG_VCPU_PAUSED = 1;
    public static final int FLAG_FOREIGN = 1 << 1;
    public static final int MEM_PAGING_DROP_PAGE = org.xenpostcopy.xen.PagingRequest.MEM_PAGING_DROP_PAGE;
    public static final int MEM_PAGING_EVICT_FAIL = 1 << 1;

    /** Byte offset of the slot that ring index {@code idx} uses. */
    public static int slotOffset(int idx) {
        return OFF_RING + (idx & (RING_SIZE - 1)) * EVENT_SIZE;
    }
}
