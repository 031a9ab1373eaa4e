package org.xenpostcopy.xen.nativehost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.PagingRequest;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.ring.FrontRing;
import org.xenpostcopy.xen.ring.SharedRing;
import org.xenpostcopy.xen.ring.VmEvent;

/** The native pager's call order on mocked libxenctrl/libxenevtchn, with the test playing the hypervisor's ring end. */
class NativePagingSessionTest {
    private final LibXenCtrl xc = mock(LibXenCtrl.class);
    private final LibXenEvtchn ev = mock(LibXenEvtchn.class);
    private final LibC libc = mock(LibC.class);
    private final Handles.XcInterface xch = new Handles.XcInterface(new Pointer(0x1000));
    private final Handles.Evtchn xce = new Handles.Evtchn();
    private final Memory ringPage = new Memory(4096);

    private NativePagingSession open() {
        when(xc.xc_vm_event_enable(eq(xch), eq(7), eq(LibXenCtrl.HVM_PARAM_PAGING_RING_PFN), any(IntByReference.class)))
                .thenAnswer(inv -> {
                    inv.<IntByReference>getArgument(3).setValue(42);
                    return ringPage;
                });
        when(ev.xenevtchn_bind_interdomain(xce, 7, 42)).thenReturn(5);
        return new NativePagingSession(xc, xch, ev, xce, DomainId.of(7), libc);
    }

    @Test
    void followsXensOrderFromEnableToNotify() {
        NativePagingSession s = open();
        s.nominate(Gfn.of(9));
        s.evict(Gfn.of(9));

        // Xen's side: a vCPU faults on gfn 9
        FrontRing xen = new FrontRing(new SharedRing(ringPage.getByteBuffer(0, 4096)));
        xen.putRequest(VmEvent.pagingRequest(1, 9, 10, true, false));
        xen.pushRequests();

        List<PagingRequest> reqs = new ArrayList<>();
        assertEquals(1, s.takeRequests(reqs));
        ByteBuffer page = ByteBuffer.allocate(4096);
        page.put(0, (byte) 0x5a);
        s.load(reqs.get(0).gfn(), page);
        s.respond(reqs.get(0));
        s.pushResponses();

        InOrder order = inOrder(xc, ev);
        order.verify(xc).xc_vm_event_enable(eq(xch), eq(7), eq(LibXenCtrl.HVM_PARAM_PAGING_RING_PFN), any());
        order.verify(ev).xenevtchn_bind_interdomain(xce, 7, 42);
        order.verify(xc).xc_mem_paging_nominate(xch, 7, 9L);
        order.verify(xc).xc_mem_paging_evict(xch, 7, 9L);
        order.verify(xc).xc_mem_paging_load(eq(xch), eq(7), eq(9L), any(Pointer.class));
        order.verify(ev).xenevtchn_notify(xce, 5);

        assertEquals(1, xen.unconsumedResponses());
        VmEvent rsp = xen.takeResponse();
        assertEquals(7, rsp.version());
        assertEquals(1, rsp.vcpuId());
        assertEquals(9, rsp.gfn());
        assertTrue(rsp.vcpuPaused(), "VCPU_PAUSED kept, so Xen unpauses the vCPU");

        s.close();
        verify(xc).xc_mem_paging_disable(xch, 7);
        verify(ev).xenevtchn_unbind(xce, 5);
        verify(libc).munmap(ringPage, 4096);
    }

    @Test
    void nothingIsNotifiedWithoutResponses() {
        NativePagingSession s = open();
        s.pushResponses();
        verify(ev, never()).xenevtchn_notify(any(), anyInt());
    }

    @Test
    void aFailedCallNamesTheFunctionTheDomainAndTheGfn() {
        NativePagingSession s = open();
        when(xc.xc_mem_paging_evict(eq(xch), eq(7), anyLong())).thenAnswer(inv -> {
            Native.setLastError(16);   // EBUSY
            return -1;
        });
        XenException e = assertThrows(XenException.class, () -> s.evict(Gfn.of(0x33)));
        assertEquals("xc_mem_paging_evict: EBUSY (dom7 gfn 0x33)", e.getMessage());
    }

    @Test
    void aFailedBindDisablesPagingAgain() {
        when(xc.xc_vm_event_enable(eq(xch), eq(7), anyInt(), any(IntByReference.class))).thenReturn(ringPage);
        when(ev.xenevtchn_bind_interdomain(any(), anyInt(), anyInt())).thenAnswer(inv -> {
            Native.setLastError(22);
            return -1;
        });
        assertThrows(XenException.class, () -> new NativePagingSession(xc, xch, ev, xce, DomainId.of(7), libc));
        verify(xc).xc_mem_paging_disable(xch, 7);
    }
}
