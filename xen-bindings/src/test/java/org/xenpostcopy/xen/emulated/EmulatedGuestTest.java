package org.xenpostcopy.xen.emulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.P2mType;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStore;
import org.xenpostcopy.xen.emulated.guest.BalloonDriver;
import org.xenpostcopy.xen.emulated.guest.GuestOracle;

/** Guests on the emulated host: workloads, vCPU state, balloon driver, log-dirty. */
class EmulatedGuestTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private final EmulatedXenHost host = new EmulatedXenHost("a");
    private final EmulatedXenHost other = new EmulatedXenHost("b");

    @AfterEach
    void close() {
        host.close();
        other.close();
    }

    private DomainId start(EmulatedXenHost h, String workload, long mib) {
        DomainId d = h.domains().create(DomainConfig.ofMiB("g", mib, workload, 7), true);
        h.domains().unpause(d);
        return d;
    }

    @Test
    void freshGuestMemoryIsNeverZero() {
        DomainId d = host.domains().create(DomainConfig.ofMiB("g", 16, "idle", 7), true);
        ByteBuffer page = ByteBuffer.allocateDirect(4096);
        for (long gfn = 0; gfn < 4096; gfn += 97) {
            page.clear();
            host.memory().read(d, Gfn.of(gfn), page);
            boolean allZero = true;
            for (int i = 0; i < 4096 && allZero; i += 8) {
                allZero = page.getLong(i) == 0;
            }
            assertTrue(!allZero || gfn > 0 && gfn < 17, "data page " + gfn + " is all zero");
        }
        assertTrue(GuestOracle.verify(host.memory(), d, List.of()).clean());
    }

    @ParameterizedTest
    @ValueSource(strings = {"idle@0", "stress-read:2M@0", "stress-write:2M@0", "kernel-compile@0", "netperf@0"})
    void everyWorkloadRunsWithTheOracleClean(String workload) {
        DomainId d = start(host, workload, 32);
        Await.until(() -> host.guestOps(d) >= 20_000, WAIT, () -> workload + " making progress");
        GuestOracle.Verdict v = host.verifyGuest(d);
        assertTrue(v.clean(), v.problems().toString());
        assertEquals(0, host.guestConsole(d).mismatches());
        assertTrue(host.guestCrash(d).isEmpty(), () -> host.guestCrash(d).get());
    }

    @Test
    void aGuestMovedByHandContinuesFromItsVcpuStateOnAnotherHost() {
        DomainId src = start(host, "kernel-compile@0", 32);
        Await.until(() -> host.guestOps(src) >= 10_000, WAIT, () -> "progress");
        assertTrue(assertThrows(XenException.class, () -> host.domains().vcpuStates(src)).is(Errno.EBUSY),
                "a running domain has no stable vCPU state");
        host.domains().pause(src);
        List<VcpuState> vcpus = host.domains().vcpuStates(src);
        long opsAtPause = host.guestOps(src);
        DomainId dst = other.domains().create(host.domains().config(src), false);
        assertThrows(XenException.class, () -> other.domains().unpause(dst), "no context yet");
        ByteBuffer page = ByteBuffer.allocateDirect(4096);
        for (long gfn = 0; gfn < host.memory().gfnCount(src); gfn++) {
            page.clear();
            host.memory().read(src, Gfn.of(gfn), page);
            page.flip();
            other.memory().write(dst, Gfn.of(gfn), page);
        }
        other.domains().setVcpuState(dst, vcpus.get(0));
        host.domains().destroy(src);
        other.domains().unpause(dst);
        Await.until(() -> other.guestOps(dst) >= opsAtPause + 10_000, WAIT, () -> "progress on the new host");
        GuestOracle.Verdict v = other.verifyGuest(dst);
        assertTrue(v.clean(), v.problems().toString());
    }

    @Test
    void aContextForAnotherGuestProgramIsRefused() {
        DomainId a = start(host, "idle", 16);
        host.domains().pause(a);
        VcpuState s = host.domains().vcpuStates(a).get(0);
        DomainId b = other.domains().create(DomainConfig.ofMiB("g", 16, "netperf", 7), false);
        XenException e = assertThrows(XenException.class, () -> other.domains().setVcpuState(b, s));
        assertTrue(e.getMessage().contains("guest program 'idle'"), e.getMessage());
        assertThrows(XenException.class, () -> other.domains().setVcpuState(b, new VcpuState(0, new byte[] {1, 2})));
    }

    @Test
    void balloonDriverFollowsTheTargetDownAndUpAndFreedGfnsAreUnpopulated() {
        DomainId d = start(host, "stress-write:4M@0", 64);
        String home = XenStore.domainPath(d);
        Await.until(() -> host.store().read(home + "/" + BalloonDriver.MEMINFO_TOTAL).equals(java.util.Optional.of("65536")),
                WAIT, () -> "meminfo published");
        host.store().write(home + "/memory/target", "32768");
        Await.until(() -> host.domains().info(d).totPages() == 8192, WAIT,
                () -> "balloon inflating to 8192 pages, at " + host.domains().info(d).totPages());
        Await.until(() -> host.store().read(home + "/" + BalloonDriver.MEMINFO_TOTAL).equals(java.util.Optional.of("32768")),
                WAIT, () -> "new total published");
        GfnBitmap populated = host.domains().populated(d);
        assertEquals(8192, populated.cardinality());
        long unpopulated = 0;
        for (long gfn = 0; gfn < 16384; gfn++) {
            if (host.memory().typeOf(d, Gfn.of(gfn)) == P2mType.INVALID) {
                unpopulated++;
                assertTrue(!populated.get(gfn));
                final long g = gfn;
                assertTrue(assertThrows(XenException.class,
                        () -> host.memory().read(d, Gfn.of(g), ByteBuffer.allocateDirect(4096))).is(Errno.ENOENT));
            }
        }
        assertEquals(8192, unpopulated);
        GuestOracle.Verdict v = host.verifyGuest(d);
        assertTrue(v.clean(), v.problems().toString());
        long free = Long.parseLong(host.store().read(home + "/" + BalloonDriver.MEMINFO_FREE).orElseThrow());
        assertTrue(free < 32768, "free memory shrank with the balloon: " + free);

        host.store().write(home + "/memory/target", "65536");
        Await.until(() -> host.domains().info(d).totPages() == 16384, WAIT, () -> "balloon deflating");
        assertTrue(host.verifyGuest(d).clean());
        assertEquals(DomainInfo.State.RUNNING, host.domains().info(d).state());
    }

    @Test
    void aBadTargetIsIgnoredAndTheGuestKeepsItsMemory() {
        DomainId d = start(host, "idle", 16);
        String home = XenStore.domainPath(d);
        host.store().write(home + "/memory/target", "lots");
        host.store().write(home + "/memory/target", "-5");
        host.store().write(home + "/memory/target", "8192");  // a valid one after the bad ones still works
        Await.until(() -> host.domains().info(d).totPages() == 2048, WAIT, () -> "valid target reached");
    }

    @Test
    void logDirtyReturnsExactlyTheWrittenGfns() {
        DomainId d = host.domains().create(DomainConfig.ofMiB("g", 16, "idle", 7), true);
        host.dirtyLog().enable(d);
        ByteBuffer page = ByteBuffer.allocateDirect(4096);
        long[] written = {5, 64, 65, 1000, 4095};
        for (long gfn : written) {
            page.clear();
            host.memory().write(d, Gfn.of(gfn), page);
        }
        page.clear();
        host.memory().read(d, Gfn.of(7), page);       // reads do not dirty
        GfnBitmap dirty = host.dirtyLog().readAndClear(d);
        long[] got = new long[(int) dirty.cardinality()];
        int[] i = {0};
        dirty.forEach(g -> got[i[0]++] = g);
        assertEquals(Arrays.toString(written), Arrays.toString(got));
        assertTrue(host.dirtyLog().readAndClear(d).isEmpty(), "cleared");
    }

    @Test
    void logDirtyOfARunningGuestCoversEveryChangedPage() {
        DomainId d = start(host, "kernel-compile@0", 16);
        Await.until(() -> host.guestOps(d) >= 5_000, WAIT, () -> "warm-up");
        host.domains().pause(d);
        long pages = host.memory().gfnCount(d);
        byte[][] before = snapshot(d, pages);
        host.dirtyLog().enable(d);
        long ops = host.guestOps(d);
        host.domains().unpause(d);
        Await.until(() -> host.guestOps(d) >= ops + 3_000, WAIT, () -> "more guest work");
        host.domains().pause(d);
        GfnBitmap dirty = host.dirtyLog().peek(d);
        byte[][] after = snapshot(d, pages);
        GfnBitmap changed = new GfnBitmap(pages);
        for (int g = 0; g < pages; g++) {
            if (!Arrays.equals(before[g], after[g])) {
                changed.set(g);
            }
        }
        assertTrue(changed.cardinality() > 10);
        GfnBitmap missed = changed.copy();
        missed.andNot(dirty);
        assertTrue(missed.isEmpty(), "changed but not logged: " + missed);
        // Written but unchanged is possible only for kernel tables (an entry set back to its old value).
        GfnBitmap unchanged = dirty.copy();
        unchanged.andNot(changed);
        long dataStart = org.xenpostcopy.xen.emulated.guest.GuestLayout.forPages(pages).dataStart();
        unchanged.forEach(g -> assertTrue(g < dataStart, "data page " + g + " logged but unchanged"));
    }

    private byte[][] snapshot(DomainId d, long pages) {
        byte[][] s = new byte[(int) pages][4096];
        ByteBuffer page = ByteBuffer.allocateDirect(4096);
        for (int g = 0; g < pages; g++) {
            page.clear();
            host.memory().read(d, Gfn.of(g), page);
            page.flip();
            page.get(s[g]);
        }
        return s;
    }

    @Test
    void unknownDomainsAndBadConfigsGetClearErrors() {
        XenException e = assertThrows(XenException.class, () -> host.domains().pause(DomainId.of(42)));
        assertTrue(e.getMessage().contains("no such domain: dom42"), e.getMessage());
        XenException w = assertThrows(XenException.class,
                () -> host.domains().create(DomainConfig.ofMiB("x", 16, "stress-write:1G", 1), true));
        assertTrue(w.getMessage().contains("working set"), w.getMessage());
        assertThrows(XenException.class, () -> host.domains().create(DomainConfig.ofMiB("x", 16, "fortnite", 1), true));
    }
}
