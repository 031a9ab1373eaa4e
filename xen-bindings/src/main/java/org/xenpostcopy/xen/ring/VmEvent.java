package org.xenpostcopy.xen.ring;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One vm_event request or response, the fields mem_paging uses. {@link #writeTo} zeroes the whole 400-byte
 * slot first: upstream xenpaging left response fields uninitialised, and Xen drops a response whose version
 * is not 7.
 */
public record VmEvent(int version, int flags, int reason, int vcpuId, int altp2mIdx, long gfn, int p2mt,
                      int pagingFlags) {

    /** The response Xen expects to a paging request: version 7, same vCPU, gfn and VCPU_PAUSED flag, reason 3. */
    public static VmEvent pagingResponseTo(VmEvent request) {
        return new VmEvent(VmEventLayout.INTERFACE_VERSION, request.flags & VmEventLayout.FLAG_VCPU_PAUSED,
                VmEventLayout.REASON_MEM_PAGING, request.vcpuId, request.altp2mIdx, request.gfn, request.p2mt, 0);
    }

    public static VmEvent pagingRequest(int vcpuId, long gfn, int p2mt, boolean vcpuPaused, boolean foreign) {
        int flags = (vcpuPaused ? VmEventLayout.FLAG_VCPU_PAUSED : 0) | (foreign ? VmEventLayout.FLAG_FOREIGN : 0);
        return new VmEvent(VmEventLayout.INTERFACE_VERSION, flags, VmEventLayout.REASON_MEM_PAGING, vcpuId, 0, gfn,
                p2mt, 0);
    }

    /**
     * A {@code MEM_PAGING_DROP_PAGE} request: the guest gave a paged-out gfn back, so the pager may drop its copy.
     * Nobody is paused; it only needs its response (it holds a slot).
     */
    public static VmEvent pagingDropRequest(int vcpuId, long gfn, int p2mt) {
        return new VmEvent(VmEventLayout.INTERFACE_VERSION, 0, VmEventLayout.REASON_MEM_PAGING, vcpuId, 0, gfn, p2mt,
                VmEventLayout.MEM_PAGING_DROP_PAGE);
    }

    public static VmEvent readFrom(ByteBuffer ring, int offset) {
        ByteBuffer b = ring.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        return new VmEvent(
                b.getInt(offset + VmEventLayout.OFF_VERSION),
                b.getInt(offset + VmEventLayout.OFF_FLAGS),
                b.getInt(offset + VmEventLayout.OFF_REASON),
                b.getInt(offset + VmEventLayout.OFF_VCPU_ID),
                Short.toUnsignedInt(b.getShort(offset + VmEventLayout.OFF_ALTP2M_IDX)),
                b.getLong(offset + VmEventLayout.OFF_PAGING_GFN),
                b.getInt(offset + VmEventLayout.OFF_PAGING_P2MT),
                b.getInt(offset + VmEventLayout.OFF_PAGING_FLAGS));
    }

    public void writeTo(ByteBuffer ring, int offset) {
        ByteBuffer b = ring.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < VmEventLayout.EVENT_SIZE; i += 8) {
            b.putLong(offset + i, 0L);
        }
        b.putInt(offset + VmEventLayout.OFF_VERSION, version);
        b.putInt(offset + VmEventLayout.OFF_FLAGS, flags);
        b.putInt(offset + VmEventLayout.OFF_REASON, reason);
        b.putInt(offset + VmEventLayout.OFF_VCPU_ID, vcpuId);
        b.putShort(offset + VmEventLayout.OFF_ALTP2M_IDX, (short) altp2mIdx);
        b.putLong(offset + VmEventLayout.OFF_PAGING_GFN, gfn);
        b.putInt(offset + VmEventLayout.OFF_PAGING_P2MT, p2mt);
        b.putInt(offset + VmEventLayout.OFF_PAGING_FLAGS, pagingFlags);
    }

    public boolean vcpuPaused() {
        return (flags & VmEventLayout.FLAG_VCPU_PAUSED) != 0;
    }

    public boolean foreign() {
        return (flags & VmEventLayout.FLAG_FOREIGN) != 0;
    }
}
