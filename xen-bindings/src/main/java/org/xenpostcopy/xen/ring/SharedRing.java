package org.xenpostcopy.xen.ring;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The shared ring page: four free-running 32-bit indexes and the slots. Index stores are release stores and
 * index loads acquire loads, standing in for the {@code wmb()}/{@code rmb()} of ring.h, because the two ends run
 * on different threads (or, natively, the other end is the hypervisor).
 */
public final class SharedRing {
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final ByteBuffer page;

    /** Wraps a 4096-byte page. A direct buffer is required for the ordering guarantees (and is what a mapping is). */
    public SharedRing(ByteBuffer page) {
        if (page.capacity() < VmEventLayout.PAGE_SIZE) {
            throw new IllegalArgumentException("ring page has " + page.capacity() + " bytes, needs " + VmEventLayout.PAGE_SIZE);
        }
        this.page = page.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** {@code SHARED_RING_INIT}: producers 0, both event indexes 1, private and padding zeroed. */
    public void init() {
        for (int i = 0; i < VmEventLayout.OFF_RING; i += 4) {
            page.putInt(i, 0);
        }
        INT.setRelease(page, VmEventLayout.OFF_REQ_EVENT, 1);
        INT.setRelease(page, VmEventLayout.OFF_RSP_EVENT, 1);
    }

    public ByteBuffer page() {
        return page;
    }

    int reqProd() {
        return (int) INT.getAcquire(page, VmEventLayout.OFF_REQ_PROD);
    }

    void setReqProd(int v) {
        INT.setRelease(page, VmEventLayout.OFF_REQ_PROD, v);
    }

    int rspProd() {
        return (int) INT.getAcquire(page, VmEventLayout.OFF_RSP_PROD);
    }

    void setRspProd(int v) {
        INT.setRelease(page, VmEventLayout.OFF_RSP_PROD, v);
    }

    int reqEvent() {
        return (int) INT.getAcquire(page, VmEventLayout.OFF_REQ_EVENT);
    }

    void setReqEvent(int v) {
        INT.setRelease(page, VmEventLayout.OFF_REQ_EVENT, v);
    }

    int rspEvent() {
        return (int) INT.getAcquire(page, VmEventLayout.OFF_RSP_EVENT);
    }

    void setRspEvent(int v) {
        INT.setRelease(page, VmEventLayout.OFF_RSP_EVENT, v);
    }

    VmEvent read(int idx) {
        return VmEvent.readFrom(page, VmEventLayout.slotOffset(idx));
    }

    void write(int idx, VmEvent event) {
        event.writeTo(page, VmEventLayout.slotOffset(idx));
    }
}
