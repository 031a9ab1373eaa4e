package org.xenpostcopy.xen.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class RingTest {
    private final ByteBuffer page = ByteBuffer.allocateDirect(4096);
    private final SharedRing shared = new SharedRing(page);

    RingTest() {
        shared.init();
    }

    @Test
    void initSetsEventIndexesToOneAndProducersToZero() {
        ByteBuffer b = page.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, b.getInt(0));
        assertEquals(1, b.getInt(4));
        assertEquals(0, b.getInt(8));
        assertEquals(1, b.getInt(12));
    }

    @Test
    void requestsAndResponsesShareTheEightSlotsAndWrapAround() {
        FrontRing front = new FrontRing(shared);
        BackRing back = new BackRing(shared);
        for (int round = 0; round < 5; round++) {
            assertEquals(8, front.freeRequests());
            for (int i = 0; i < 8; i++) {
                front.putRequest(VmEvent.pagingRequest(0, 1000L * round + i, 10, true, false));
            }
            assertEquals(0, front.freeRequests());
            assertThrows(IllegalStateException.class, () -> front.putRequest(VmEvent.pagingRequest(0, 1, 10, true, false)));
            assertEquals(0, back.unconsumedRequests(), "nothing visible before the push");
            front.pushRequests();
            assertEquals(8, back.unconsumedRequests());
            for (int i = 0; i < 8; i++) {
                VmEvent req = back.takeRequest();
                assertEquals(1000L * round + i, req.gfn());
                back.putResponse(VmEvent.pagingResponseTo(req));
            }
            assertTrue(back.pushResponses());
            assertEquals(8, front.unconsumedResponses());
            for (int i = 0; i < 8; i++) {
                VmEvent rsp = front.takeResponse();
                assertEquals(1000L * round + i, rsp.gfn());
                assertEquals(7, rsp.version());
                assertTrue(rsp.vcpuPaused());
            }
        }
    }

    @Test
    void requestBytesSitAtTheHeadersOffsets() {
        FrontRing front = new FrontRing(shared);
        front.putRequest(VmEvent.pagingRequest(3, 0x123456789AL, 10, true, true));
        front.pushRequests();
        ByteBuffer b = page.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int slot = 64;
        assertEquals(1, b.getInt(0), "req_prod");
        assertEquals(7, b.getInt(slot));
        assertEquals(3, b.getInt(slot + 4), "flags = VCPU_PAUSED | FOREIGN");
        assertEquals(3, b.getInt(slot + 8), "reason = MEM_PAGING");
        assertEquals(3, b.getInt(slot + 12), "vcpu_id");
        assertEquals(0x123456789AL, b.getLong(slot + 24), "u.mem_paging.gfn");
        assertEquals(10, b.getInt(slot + 32), "u.mem_paging.p2mt");
    }

    @Test
    void responseToARequestKeepsOnlyVcpuPausedAndHasVersionSeven() {
        VmEvent req = new VmEvent(7, 3, 3, 5, 0, 42, 11, 1);
        VmEvent rsp = VmEvent.pagingResponseTo(req);
        assertEquals(7, rsp.version());
        assertEquals(1, rsp.flags());
        assertEquals(3, rsp.reason());
        assertEquals(5, rsp.vcpuId());
        assertEquals(42, rsp.gfn());
    }

    @Test
    void writeZeroesTheWholeSlotFirst() {
        ByteBuffer b = page.duplicate();
        for (int i = 64; i < 464; i++) {
            b.put(i, (byte) 0xAA);
        }
        VmEvent.pagingRequest(0, 1, 10, true, false).writeTo(page, 64);
        assertEquals(0, b.get(64 + 56), "data area zeroed");
        assertEquals(0, b.get(64 + 399));
    }
}
