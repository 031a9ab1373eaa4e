package org.xenpostcopy.xen.emulated;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.P2mType;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenStore;
import org.xenpostcopy.xen.emulated.guest.GuestOracle;

/** A persistent emulated host: its domains outlive the host object, as Xen domains outlive their toolstack. */
class PersistentHostTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private static List<P2mType> p2mOf(EmulatedXenHost h, DomainId d) {
        List<P2mType> types = new ArrayList<>();
        for (long g = 0; g < 8192; g++) {
            types.add(h.memory().typeOf(d, Gfn.of(g)));
        }
        return types;
    }

    private static byte[] page(EmulatedXenHost h, DomainId d, long gfn) {
        ByteBuffer b = ByteBuffer.allocate(Gfn.PAGE_SIZE);
        h.memory().read(d, Gfn.of(gfn), b);
        return b.array();
    }

    @Test
    void aPausedDomainIsReattachedExactly() throws Exception {
        DomainId d;
        byte[] written = new byte[Gfn.PAGE_SIZE];
        for (int i = 0; i < written.length; i++) {
            written[i] = (byte) (i * 31 + 7);
        }
        List<VcpuState> vcpu;
        byte[] page100;
        List<P2mType> p2m;
        long ops;
        try (EmulatedXenHost h = EmulatedXenHost.persistent("a", dir)) {
            d = h.domains().create(DomainConfig.ofMiB("vm", 32, "kernel-compile@0", 11), true);
            h.domains().unpause(d);
            Await.until(() -> h.guestOps(d) >= 5_000, WAIT, () -> "guest progress");
            h.domains().pause(d);
            ops = h.guestOps(d);
            h.store().write(XenStore.domainPath(d) + "/data/mine", "kept");
            h.domains().setMaxMemoryKiB(d, 30 * 1024);
            // a page dom0 writes, a ballooned-out gfn, and two gfns paged out by a pager
            h.memory().write(d, Gfn.of(8000), ByteBuffer.wrap(written));
            GfnBitmap out = new GfnBitmap(8192);
            out.set(8100);
            h.domains().decreaseReservation(d, out);
            try (PagingSession s = h.paging().enable(d)) {
                for (long g : new long[] {8150, 8151}) {
                    s.nominate(Gfn.of(g));
                    s.evict(Gfn.of(g));
                }
            }
            vcpu = h.domains().vcpuStates(d);
            page100 = page(h, d, 100);
            p2m = p2mOf(h, d);   // the whole-domain read is refused while gfns are paged out, as on Xen
            assertTrue(Files.exists(dir.resolve("domains").resolve(Integer.toString(d.value())).resolve("memory")));
        }
        try (EmulatedXenHost h = EmulatedXenHost.persistent("a", dir)) {
            assertEquals(1, h.reattached().size());
            DomainInfo info = h.domains().info(d);
            assertEquals("vm", info.name());
            assertEquals(DomainInfo.State.PAUSED, info.state());
            assertEquals(2, info.pagedPages());
            assertEquals(30 * 256, info.maxPages());
            assertEquals(P2mType.PAGED, h.memory().typeOf(d, Gfn.of(8150)));
            assertEquals(P2mType.INVALID, h.memory().typeOf(d, Gfn.of(8100)));
            assertEquals(p2m, p2mOf(h, d));
            assertArrayEquals(written, page(h, d, 8000));
            assertArrayEquals(page100, page(h, d, 100));
            assertEquals(vcpu, h.domains().vcpuStates(d));
            assertEquals(ops, h.guestOps(d));
            assertEquals("kept", h.store().read(XenStore.domainPath(d) + "/data/mine").orElseThrow());
            assertEquals("vm", h.store().read(XenStore.domainPath(d) + "/name").orElseThrow());
            DomainId next = h.domains().create(DomainConfig.ofMiB("other", 16, "idle", 1), true);
            assertTrue(next.value() > d.value(), "a re-attached domain's domid is not given again: " + next);
            h.domains().destroy(next);
            assertFalse(Files.exists(dir.resolve("domains").resolve(Integer.toString(next.value()))),
                    "a destroyed domain's files go");
        }
    }

    @Test
    void aPausedGuestVerifiesAfterReattachAndRunsOn() {
        DomainId d;
        try (EmulatedXenHost h = EmulatedXenHost.persistent("a", dir)) {
            d = h.domains().create(DomainConfig.ofMiB("vm", 32, "stress-write:4M@0", 5), true);
            h.domains().unpause(d);
            Await.until(() -> h.guestOps(d) >= 5_000, WAIT, () -> "guest progress");
            h.domains().pause(d);
        }
        try (EmulatedXenHost h = EmulatedXenHost.persistent("a", dir)) {
            GuestOracle.Verdict v = GuestOracle.verify(h.memory(), d, h.domains().vcpuStates(d));
            assertTrue(v.clean(), v.problems().toString());
            long ops = h.guestOps(d);
            h.domains().unpause(d);
            Await.until(() -> h.guestOps(d) >= ops + 5_000, WAIT, () -> "the re-attached guest runs on");
            GuestOracle.Verdict after = h.verifyGuest(d);
            assertTrue(after.clean(), after.problems().toString());
            h.domains().destroy(d);
        }
        try (EmulatedXenHost h = EmulatedXenHost.persistent("a", dir)) {
            assertTrue(h.reattached().isEmpty());
        }
    }

    @Test
    void aRunningDomainIsReattachedRunningFromItsLastOperation() {
        DomainId d;
        long ops;
        try (EmulatedXenHost h = EmulatedXenHost.persistent("a", dir)) {
            d = h.domains().create(DomainConfig.ofMiB("vm", 32, "stress-write:4M@0", 5), true);
            h.domains().unpause(d);
            Await.until(() -> h.guestOps(d) >= 5_000, WAIT, () -> "guest progress");
            ops = h.guestOps(d);
        }
        try (EmulatedXenHost h = EmulatedXenHost.persistent("a", dir)) {
            assertEquals(DomainInfo.State.RUNNING, h.domains().info(d).state());
            assertTrue(h.guestOps(d) >= ops);
            Await.until(() -> h.guestOps(d) >= ops + 5_000, WAIT, () -> "the re-attached guest runs on");
            // a close detaches between two operations, so memory and registers agree
            GuestOracle.Verdict v = h.verifyGuest(d);
            assertTrue(v.clean(), v.problems().toString());
        }
    }

    @Test
    void aRunningDomainWithPagedOutGfnsIsReattachedPaused() {
        DomainId d;
        try (EmulatedXenHost h = EmulatedXenHost.persistent("a", dir)) {
            d = h.domains().create(DomainConfig.ofMiB("vm", 32, "stress-write:4M@0", 5), true);
            try (PagingSession s = h.paging().enable(d)) {
                // the receiving end of a post-copy: gfns wait for a pager that dies with the process
                for (long g : new long[] {8150, 8151}) {
                    s.nominate(Gfn.of(g));
                    s.evict(Gfn.of(g));
                }
            }
            h.domains().unpause(d);
            Await.until(() -> h.guestOps(d) >= 1_000, WAIT, () -> "guest progress");
        }
        try (EmulatedXenHost h = EmulatedXenHost.persistent("a", dir)) {
            assertEquals(DomainInfo.State.PAUSED, h.domains().info(d).state(),
                    "a domain whose pager died must not run on its own");
            assertEquals(P2mType.PAGED, h.memory().typeOf(d, Gfn.of(8150)));
        }
    }

    @Test
    void twoHostsCannotShareADirectory() {
        try (EmulatedXenHost h = EmulatedXenHost.persistent("a", dir)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> EmulatedXenHost.persistent("b", dir));
            assertTrue(e.getMessage().contains("in use by another emulated host"), e.getMessage());
            assertTrue(h.stateDirectory().isPresent());
        }
        EmulatedXenHost.persistent("b", dir).close();
    }

    @Test
    void anUnfinishedCreationIsRemoved() throws Exception {
        Path half = Files.createDirectories(dir.resolve("domains").resolve("7"));
        Files.writeString(half.resolve("memory"), "partial");
        try (EmulatedXenHost h = EmulatedXenHost.persistent("a", dir)) {
            assertTrue(h.reattached().isEmpty());
            assertFalse(Files.exists(half));
        }
    }
}
