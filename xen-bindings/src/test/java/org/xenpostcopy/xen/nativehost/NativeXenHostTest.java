package org.xenpostcopy.xen.nativehost;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import org.mockito.InOrder;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.NoSuchDomainException;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStore;

/** The native host's domain and memory calls on mocked libraries. */
class NativeXenHostTest {
    private final LibXenCtrl xc = mock(LibXenCtrl.class);
    private final LibXenEvtchn ev = mock(LibXenEvtchn.class);
    private final LibXenForeignMemory fm = mock(LibXenForeignMemory.class);
    private final XenStore store = mock(XenStore.class);
    private final Handles.XcInterface xch = new Handles.XcInterface(new Pointer(0x1000));
    private final Handles.ForeignMemory fmem = new Handles.ForeignMemory();
    private final NativeXenHost host = new NativeXenHost(xc, xch, ev, fm, fmem, store, mock(LibC.class));

    @Test
    void withoutXenOpeningSaysSoInOneSentence() {
        assumeTrue(!Files.exists(NativeXenHost.PRIVCMD), "skipped: this machine runs Xen");
        XenException e = assertThrows(XenException.class, NativeXenHost::open);
        assertEquals("xc_interface_open: ENOENT (no Xen hypervisor: /dev/xen/privcmd is missing)", e.getMessage());
    }

    @Test
    void aMissingDomainIsNotMistakenForTheNextOne() {
        when(xc.xc_domain_getinfolist(eq(xch), eq(7), eq(1), any())).thenAnswer(inv -> {
            XcDomainInfo info = inv.getArgument(3);
            info.domain = 9;        // Xen lists from the id on: asking for 7 yields 9
            info.write();
            return 1;
        });
        assertThrows(NoSuchDomainException.class, () -> host.domains().info(DomainId.of(7)));
    }

    @Test
    void domainInfoComesFromGetinfolistAndXenstore() {
        when(xc.xc_domain_getinfolist(eq(xch), eq(3), eq(1), any())).thenAnswer(inv -> {
            XcDomainInfo info = inv.getArgument(3);
            info.domain = 3;
            info.flags = XcDomainInfo.DOMINF_PAUSED | XcDomainInfo.DOMINF_HVM_GUEST;
            info.tot_pages = 1000;
            info.max_pages = 2048;
            info.nr_online_vcpus = 2;
            return 1;
        });
        when(store.read("/local/domain/3/name")).thenReturn(Optional.of("web"));
        var info = host.domains().info(DomainId.of(3));
        assertEquals("web", info.name());
        assertEquals(2048, info.maxPages());
        assertEquals(org.xenpostcopy.xen.DomainInfo.State.PAUSED, info.state());
    }

    @Test
    void readingAPageMapsOnlyThatDomainAndUnmapsIt() {
        Memory page = new Memory(4096);
        page.setByte(0, (byte) 0x77);
        when(fm.xenforeignmemory_map(eq(fmem), eq(4), eq(LibXenForeignMemory.PROT_READ), eq(1L), any(), any()))
                .thenReturn(page);
        ByteBuffer dst = ByteBuffer.allocate(4096);
        host.memory().read(DomainId.of(4), Gfn.of(0x20), dst);
        assertEquals(0x77, dst.get(0));
        ArgumentCaptor<long[]> gfns = ArgumentCaptor.forClass(long[].class);
        verify(fm).xenforeignmemory_map(eq(fmem), eq(4), eq(LibXenForeignMemory.PROT_READ), eq(1L), gfns.capture(), any());
        assertArrayEquals(new long[] {0x20}, gfns.getValue());
        verify(fm).xenforeignmemory_unmap(fmem, page, 1);
    }

    /** Domain 6: 200 gfns in its p2m, {@code paged} of them paged out. */
    private void domainSix(long paged) {
        when(xc.xc_domain_getinfolist(eq(xch), eq(6), eq(1), any())).thenAnswer(inv -> {
            XcDomainInfo info = inv.getArgument(3);
            info.domain = 6;
            info.max_pages = 150;
            info.paged_pages = paged;
            return 1;
        });
        when(xc.xc_domain_maximum_gpfn(eq(xch), eq(6), any())).thenAnswer(inv -> {
            inv.<com.sun.jna.ptr.LongByReference>getArgument(2).setValue(199);
            return 0;
        });
    }

    @Test
    void theDirtyBitmapIsReadThroughHypercallMemoryAndFreed() {
        domainSix(0);
        Memory hmem = new Memory(4096);
        hmem.clear();
        hmem.setLong(0, 0x5L);              // gfns 0 and 2
        hmem.setLong(3 * 8, 1L << 7 | -1L << 8); // gfn 199; bits past the span must be ignored
        when(xc.xc__hypercall_buffer_alloc_pages(eq(xch), any(), eq(1))).thenAnswer(inv -> {
            XcHypercallBuffer b = inv.getArgument(1);
            b.hbuf = hmem;
            b.write();
            return hmem;
        });
        when(xc.xc_logdirty_control(eq(xch), eq(6), eq(LibXenCtrl.SHADOW_OP_CLEAN), any(), eq(200L), eq(0), any()))
                .thenReturn(200L);
        org.xenpostcopy.xen.GfnBitmap dirty = host.dirtyLog().readAndClear(DomainId.of(6));
        assertEquals(200, dirty.size());
        assertEquals(3, dirty.cardinality());
        assertTrue(dirty.get(0) && dirty.get(2) && dirty.get(199));
        ArgumentCaptor<XcHypercallBuffer> freed = ArgumentCaptor.forClass(XcHypercallBuffer.class);
        verify(xc).xc__hypercall_buffer_free_pages(eq(xch), freed.capture(), eq(1));
        assertEquals(hmem, freed.getValue().hbuf);
    }

    @Test
    void aFailedDirtyReadNamesTheCallAndStillFreesTheBuffer() {
        domainSix(0);
        Memory hmem = new Memory(4096);
        when(xc.xc__hypercall_buffer_alloc_pages(eq(xch), any(), eq(1))).thenAnswer(inv -> {
            XcHypercallBuffer b = inv.getArgument(1);
            b.hbuf = hmem;
            b.write();
            return hmem;
        });
        when(xc.xc_logdirty_control(any(), anyInt(), anyInt(), any(), org.mockito.ArgumentMatchers.anyLong(), anyInt(),
                any())).thenReturn(-1L);
        XenException e = assertThrows(XenException.class, () -> host.dirtyLog().peek(DomainId.of(6)));
        assertTrue(e.getMessage().startsWith("xc_logdirty_control"), e.getMessage());
        verify(xc).xc__hypercall_buffer_free_pages(eq(xch), any(), eq(1));
    }

    @Test
    void populatedGfnsComeFromPageFrameTypesInBatches() {
        domainSix(0);
        when(xc.xc_get_pfn_type_batch(eq(xch), eq(6), anyInt(), any())).thenAnswer(inv -> {
            long[] arr = inv.getArgument(3);
            for (int i = 0; i < arr.length; i++) {
                long gfn = arr[i];
                // gfns 100..149 ballooned out; 150 a Xen-heap page; the rest plain or page-table RAM.
                arr[i] = gfn >= 100 && gfn < 150 ? 0xfL << 28 : gfn == 150 ? 0xfL << 28 : gfn == 7 ? 0x1L << 28 : 0;
            }
            return 0;
        });
        org.xenpostcopy.xen.GfnBitmap pop = host.domains().populated(DomainId.of(6));
        assertEquals(200, pop.size());
        assertEquals(200 - 51, pop.cardinality());
        assertTrue(pop.get(7) && pop.get(99) && !pop.get(100) && !pop.get(150) && pop.get(199));
        assertEquals(org.xenpostcopy.xen.P2mType.INVALID, host.memory().typeOf(DomainId.of(6), Gfn.of(120)));
        assertEquals(org.xenpostcopy.xen.P2mType.RAM_RW, host.memory().typeOf(DomainId.of(6), Gfn.of(7)));
    }

    @Test
    void p2mTypesAreRefusedWhilePagesArePagedOut() {
        domainSix(12);
        XenException e = assertThrows(XenException.class, () -> host.domains().populated(DomainId.of(6)));
        assertTrue(e.getMessage().contains("12 paged-out pages"), e.getMessage());
        org.mockito.Mockito.verify(xc, org.mockito.Mockito.never()).xc_get_pfn_type_batch(any(), anyInt(), anyInt(), any());
    }

    /** With pages out a batch is given back as it is; the gfn Xen stops at (a hole, or paged out) is named. */
    @Test
    void givingBackWhilePagedOutNamesTheGfnXenKept() {
        domainSix(40);
        java.util.Set<Long> kept = java.util.Set.of(12L);
        java.util.List<Long> given = new java.util.ArrayList<>();
        when(xc.xc_domain_decrease_reservation(eq(xch), eq(6), anyLong(), eq(0), any())).thenAnswer(inv -> {
            long[] gfns = inv.getArgument(4);
            int n = (int) (long) inv.<Long>getArgument(2);
            for (int i = 0; i < n; i++) {
                if (kept.contains(gfns[i])) {
                    return i;      // Xen stops at the first it cannot give back; those before it are gone
                }
                given.add(gfns[i]);
            }
            return n;
        });
        org.xenpostcopy.xen.GfnBitmap some = new org.xenpostcopy.xen.GfnBitmap(200);
        some.set(10);
        some.set(11);
        host.domains().decreaseReservation(DomainId.of(6), some);
        assertEquals(List.of(10L, 11L), given);
        some.set(12);
        some.set(13);
        XenException e = assertThrows(XenException.class,
                () -> host.domains().decreaseReservation(DomainId.of(6), some));
        assertTrue(e.getMessage().contains("Xen kept gfn 0xc (a hole here, or paged out) after giving back 2 of a batch"
                + " of 4"), e.getMessage());
        verify(xc, org.mockito.Mockito.never()).xc_get_pfn_type_batch(any(), anyInt(), anyInt(), any());
    }

    private final Toolstack toolstack = mock(Toolstack.class);
    private final LibXenGuest guestLib = mock(LibXenGuest.class);
    private final NativeXenHost withToolstack = new NativeXenHost(xc, xch, ev, fm, fmem, store, mock(LibC.class),
            guestLib, toolstack);

    @Test
    void domainsAreBuiltByTheToolstackFromTheConfigItChoosesAndPaused() {
        String travelled = "name = \"x\"\nmemory = 64\n";
        when(toolstack.configForIncoming("x", 16384, Optional.of(travelled))).thenReturn("name = \"x\"\nmemory = 64 # own\n");
        when(toolstack.createPaused("x", "name = \"x\"\nmemory = 64 # own\n")).thenReturn(DomainId.of(9));
        assertEquals(DomainId.of(9), withToolstack.domains().create(
                org.xenpostcopy.xen.DomainConfig.ofMiB("x", 64, travelled, 1), false));
        when(toolstack.configForIncoming("y", 16384, Optional.empty())).thenThrow(new XenException("xl create",
                org.xenpostcopy.xen.Errno.EINVAL, "no xl configuration for 'y'"));
        XenException none = assertThrows(XenException.class, () -> withToolstack.domains().create(
                org.xenpostcopy.xen.DomainConfig.ofMiB("y", 64, "native", 1), false));
        assertTrue(none.getMessage().contains("no xl configuration"), none.getMessage());
        org.mockito.Mockito.verify(xc, org.mockito.Mockito.never()).xc_domain_unpause(any(), anyInt());
        when(xc.xc_domain_pause(any(), anyInt())).thenReturn(-1);
        XenException p = assertThrows(XenException.class, () -> host.domains().pause(DomainId.of(5)));
        assertTrue(p.getMessage().startsWith("xc_domain_pause"), p.getMessage());
        verify(xc).xc_domain_pause(xch, 5);
    }

    @Test
    void freeMemoryIsWhatXenHasFreeAndUnclaimed() {
        when(xc.xc_physinfo(eq(xch), any())).thenAnswer(inv -> {
            XcPhysinfo p = inv.getArgument(1);
            p.total_pages = 1 << 20;
            p.free_pages = 300_000;
            p.outstanding_pages = 44_000;   // claimed by a domain being built
            p.write();
            return 0;
        });
        assertEquals(java.util.OptionalLong.of(256_000L * 4), host.domains().freeMemoryKiB());
        when(xc.xc_physinfo(eq(xch), any())).thenReturn(-1);
        XenException e = assertThrows(XenException.class, () -> host.domains().freeMemoryKiB());
        assertTrue(e.getMessage().startsWith("xc_physinfo"), e.getMessage());
    }

    @Test
    void aNameTakenHereIsRefusedBeforeXlRuns() {
        when(xc.xc_domain_getinfolist(eq(xch), eq(0), anyInt(), any())).thenAnswer(inv -> {
            XcDomainInfo info = inv.getArgument(3);
            info.domain = 5;
            info.write();
            return 1;
        });
        when(store.read("/local/domain/5/name")).thenReturn(Optional.of("web"));
        XenException e = assertThrows(XenException.class, () -> withToolstack.domains().create(
                org.xenpostcopy.xen.DomainConfig.ofMiB("web", 64, "name = \"web\"\n", 1), false));
        assertTrue(e.getMessage().contains("EEXIST") && e.getMessage().contains("'web' exists"), e.getMessage());
        org.mockito.Mockito.verifyNoInteractions(toolstack);
    }

    /** Domain 4 with the given flags (shutdown code in bits 16..23). */
    private void domainFour(int flags) {
        when(xc.xc_domain_getinfolist(eq(xch), eq(4), eq(1), any())).thenAnswer(inv -> {
            XcDomainInfo info = inv.getArgument(3);
            info.domain = 4;
            info.flags = flags;
            return 1;
        });
    }

    @Test
    void theSwitchAsksTheGuestToSuspendAndWaitsForIt() {
        int[] polls = {0};
        when(xc.xc_domain_getinfolist(eq(xch), eq(4), eq(1), any())).thenAnswer(inv -> {
            XcDomainInfo info = inv.getArgument(3);
            info.domain = 4;
            // running for two polls, then shut down for suspend (code 2)
            info.flags = ++polls[0] < 3 ? XcDomainInfo.DOMINF_RUNNING : XcDomainInfo.DOMINF_SHUTDOWN | (2 << 16);
            return 1;
        });
        withToolstack.domains().suspendForMigration(DomainId.of(4));
        verify(store).write("/local/domain/4/control/shutdown", "suspend");
        assertEquals(3, polls[0]);
    }

    @Test
    void aGuestThatShutsDownInsteadOfSuspendingIsAnError() {
        domainFour(XcDomainInfo.DOMINF_SHUTDOWN | (1 << 16));   // reboot
        XenException e = assertThrows(XenException.class, () -> withToolstack.domains().suspendForMigration(DomainId.of(4)));
        assertTrue(e.getMessage().contains("reason 1 instead of suspending"), e.getMessage());
    }

    @Test
    void aFailedMigrationCancelsTheGuestsSuspend() {
        domainFour(XcDomainInfo.DOMINF_SHUTDOWN | (2 << 16));
        withToolstack.domains().resumeAfterFailedMigration(DomainId.of(4));
        verify(guestLib).xc_domain_resume(xch, 4, 1);
        org.mockito.Mockito.verify(xc, org.mockito.Mockito.never()).xc_domain_unpause(any(), anyInt());
    }

    @Test
    void aGuestRestoredFromACheckpointIsResumedWithItsRegistersUntouched() {
        domainFour(XcDomainInfo.DOMINF_SHUTDOWN | (2 << 16));
        withToolstack.domains().resumeRestored(DomainId.of(4));
        verify(guestLib).xc_domain_resume(xch, 4, 0);     // resumedomain alone: no "suspend cancelled" in its rax
        org.mockito.Mockito.verify(xc, org.mockito.Mockito.never()).xc_domain_unpause(any(), anyInt());
    }

    @Test
    void logDirtyAlreadyOnIsTurnedOffAndOnAgainAsLibxcDoes() {
        int[] enables = {0};
        when(xc.xc_shadow_control(eq(xch), eq(4), eq(LibXenCtrl.SHADOW_OP_ENABLE_LOGDIRTY), any(), eq(0))).thenAnswer(inv -> {
            if (enables[0]++ == 0) {
                com.sun.jna.Native.setLastError(22);   // EINVAL: already in log-dirty mode
                return -1;
            }
            return 0;
        });
        host.dirtyLog().enable(DomainId.of(4));
        org.mockito.InOrder order = org.mockito.Mockito.inOrder(xc);
        order.verify(xc).xc_shadow_control(xch, 4, LibXenCtrl.SHADOW_OP_ENABLE_LOGDIRTY, null, 0);
        order.verify(xc).xc_shadow_control(xch, 4, LibXenCtrl.SHADOW_OP_OFF, null, 0);
        order.verify(xc).xc_shadow_control(xch, 4, LibXenCtrl.SHADOW_OP_ENABLE_LOGDIRTY, null, 0);
    }

    @Test
    void toolstackPagesAreTheRingGfnsNamedByHvmParams() {
        domainFour(XcDomainInfo.DOMINF_HVM_GUEST);
        when(xc.xc_hvm_param_get(eq(xch), eq(4), anyInt(), any())).thenAnswer(inv -> {
            int param = inv.getArgument(2);
            long v = param == 1 ? 0xfeffcL : param == 17 ? 0xfefffL : param == 27 ? 0xfeff8L : 0;
            inv.<com.sun.jna.ptr.LongByReference>getArgument(3).setValue(v);
            return 0;
        });
        assertEquals(java.util.List.of(Gfn.of(0xfeffc), Gfn.of(0xfefff), Gfn.of(0xfeff8)),
                withToolstack.domains().toolstackPages(DomainId.of(4)));
    }

    @Test
    void theVcpuStateCarriesTheTscSettingsAndIsRestoredInXensOrder() {
        byte[] hvm = {1, 2, 3, 4, 5, 6, 7};
        when(xc.xc_domain_get_tsc_info(eq(xch), eq(5), any(), any(), any(), any())).thenAnswer(inv -> {
            inv.<IntByReference>getArgument(2).setValue(0);              // TSC_MODE_DEFAULT
            inv.<LongByReference>getArgument(3).setValue(123_456_789_000L);
            inv.<IntByReference>getArgument(4).setValue(2_096_010);
            inv.<IntByReference>getArgument(5).setValue(3);
            return 0;
        });
        when(xc.xc_domain_hvm_getcontext(eq(xch), eq(5), eq(null), eq(0))).thenReturn(hvm.length);
        when(xc.xc_domain_hvm_getcontext(eq(xch), eq(5), any(Pointer.class), eq(hvm.length))).thenAnswer(inv -> {
            inv.<Pointer>getArgument(2).write(0, hvm, 0, hvm.length);
            return hvm.length;
        });
        VcpuState state = host.domains().vcpuStates(DomainId.of(5)).get(0);

        host.domains().setVcpuState(DomainId.of(8), state);

        InOrder order = inOrder(xc);
        order.verify(xc).xc_domain_set_tsc_info(xch, 8, 0, 123_456_789_000L, 2_096_010, 3);
        ArgumentCaptor<Pointer> restored = ArgumentCaptor.forClass(Pointer.class);
        order.verify(xc).xc_domain_hvm_setcontext(eq(xch), eq(8), restored.capture(), eq(hvm.length));
        assertArrayEquals(hvm, restored.getValue().getByteArray(0, hvm.length));
    }

    @Test
    void aVcpuStateNotMadeByARealXenHostIsRefusedBeforeTouchingTheDomain() {
        VcpuState foreign = new VcpuState(0, new byte[] {9, 9, 9, 9, 9, 9, 9, 9});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> host.domains().setVcpuState(DomainId.of(8), foreign));
        assertTrue(e.getMessage().contains("not a Xen HVM vCPU record"), e.getMessage());
        byte[] whole = new HvmVcpuRecord(new HvmVcpuRecord.TscInfo(0, 1, 2, 3), new byte[16]).encode();
        VcpuState cut = new VcpuState(0, java.util.Arrays.copyOf(whole, whole.length - 1));
        e = assertThrows(IllegalArgumentException.class, () -> host.domains().setVcpuState(DomainId.of(8), cut));
        assertTrue(e.getMessage().contains("16 bytes, 15 follow"), e.getMessage());
        verifyNoInteractions(xc);
    }
}

