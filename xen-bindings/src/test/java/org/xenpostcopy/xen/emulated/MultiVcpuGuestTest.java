package org.xenpostcopy.xen.emulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.PagingRequest;
import org.xenpostcopy.xen.PagingSession;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.emulated.guest.GuestOracle;
import org.xenpostcopy.xen.emulated.guest.VcpuRegisters;
import org.xenpostcopy.xen.ring.VmEventLayout;

/** Emulated guests with several vCPUs: each runs its share, faults on its own, and the oracle stays exact. */
class MultiVcpuGuestTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static DomainConfig guest(long mib, int vcpus, String workload) {
        return new DomainConfig("smp", mib * 256, vcpus, workload, 7);
    }

    private static List<VcpuRegisters> registers(EmulatedXenHost host, DomainId d) {
        List<VcpuRegisters> out = new ArrayList<>();
        for (VcpuState s : host.domains().vcpuStates(d)) {
            out.add(VcpuRegisters.load(s.context()));
        }
        return out;
    }

    /** Waits until every vCPU of running {@code d} has completed {@code ops} operations (pausing to read them). */
    private static void awaitEveryVcpuAtLeast(EmulatedXenHost host, DomainId d, long ops) {
        Await.until(() -> {
            host.domains().pause(d);
            try {
                return registers(host, d).stream().allMatch(r -> r.ops >= ops);
            } finally {
                host.domains().unpause(d);
            }
        }, WAIT, () -> "every vCPU at " + ops + " operations");
    }

    private static void assertClean(EmulatedXenHost host, DomainId d) {
        GuestOracle.Verdict v = GuestOracle.verify(host.memory(), d, host.domains().vcpuStates(d));
        assertTrue(v.clean(), v.problems().toString());
        assertEquals(0, host.guestConsole(d).mismatches(), host.guestConsole(d).details().toString());
        assertTrue(host.guestCrash(d).isEmpty(), () -> "crashed: " + host.guestCrash(d));
    }

    @ParameterizedTest
    @ValueSource(strings = {"stress-write:8M@0", "kernel-compile@0", "stress-read:8M@0", "idle"})
    void everyVcpuRunsItsShareAndTheOracleChecksEachOnesWrites(String workload) {
        try (EmulatedXenHost host = new EmulatedXenHost("smp")) {
            DomainId d = host.domains().create(guest(64, 4, workload), true);
            assertEquals(4, host.domains().info(d).vcpus());
            host.domains().unpause(d);
            long target = workload.equals("idle") ? 40 : 20_000;
            Await.until(() -> host.guestOps(d) >= target, WAIT, () -> target + " guest ops");
            host.domains().pause(d);
            List<VcpuRegisters> regs = registers(host, d);
            assertEquals(4, regs.size());
            for (int v = 0; v < 4; v++) {
                assertEquals(v, regs.get(v).vcpu);
            }
            // Each vCPU made progress of its own: none waits behind the others for good.
            host.domains().unpause(d);
            awaitEveryVcpuAtLeast(host, d, regs.stream().mapToLong(r -> r.ops).max().orElseThrow() + 1);
            host.domains().pause(d);
            assertClean(host, d);
        }
    }

    @Test
    void theOracleNamesTheVcpuWhoseRegistersDisagreeWithTheSuperblock() {
        try (EmulatedXenHost host = new EmulatedXenHost("smp")) {
            DomainId d = host.domains().create(guest(32, 2, "stress-write:4M@0"), true);
            host.domains().unpause(d);
            Await.until(() -> host.guestOps(d) >= 5_000, WAIT, () -> "guest progress");
            host.domains().pause(d);
            List<VcpuState> states = new ArrayList<>(host.domains().vcpuStates(d));
            VcpuRegisters one = VcpuRegisters.load(states.get(1).context());
            VcpuRegisters zero = VcpuRegisters.load(states.get(0).context());
            one.writes++;        // as if vCPU 1's context were stale by one write and vCPU 0's ahead by one:
            zero.writes--;       // the guest-wide sum still holds, only the per-vCPU check can see it
            states.set(0, new VcpuState(0, zero.save()));
            states.set(1, new VcpuState(1, one.save()));
            GuestOracle.Verdict v = GuestOracle.verify(host.memory(), d, states);
            assertFalse(v.clean());
            assertTrue(v.problems().stream().anyMatch(p -> p.startsWith("vcpu1's registers")), v.problems().toString());
            assertTrue(v.problems().stream().anyMatch(p -> p.startsWith("vcpu0's registers")), v.problems().toString());
        }
    }

    @Test
    void faultsOfAllEightVcpusAreInFlightAtOnceAndFillTheRing() throws Exception {
        assertEquals(8, VmEventLayout.RING_SIZE, "the vm_event ring of Xen 4.17 has 8 slots");
        try (EmulatedXenHost host = new EmulatedXenHost("smp")) {
            DomainId d = host.domains().create(guest(64, 8, "stress-write:16M@0"), true);
            host.domains().unpause(d);
            // Past its allocations (512 pages each), a vCPU's first access is outside the kernel lock; one still
            // allocating would wait for the lock behind a vCPU blocked on a fault, with no fault of its own.
            awaitEveryVcpuAtLeast(host, d, 1_000);
            host.domains().pause(d);
            long opsBefore = host.guestOps(d);
            try (TestPager pager = new TestPager(host, d, TestPager.inMemory())) {
                pager.pageOutAll();
                host.domains().unpause(d);
                // The pager holds back: every vCPU faults, and its request waits in the ring beside the others.
                PagingSession session = pager.session();
                List<PagingRequest> held = new ArrayList<>();
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (held.size() < 8 && System.nanoTime() < deadline) {
                    session.awaitRequests(held, 1, TimeUnit.SECONDS);
                }
                assertEquals(8, held.size(), "requests in flight at once");
                Set<Integer> vcpus = new TreeSet<>();
                for (PagingRequest r : held) {
                    assertTrue(r.vcpuPaused() && !r.foreign(), r.toString());
                    vcpus.add(r.vcpu());
                }
                assertEquals(Set.of(0, 1, 2, 3, 4, 5, 6, 7), vcpus, "one request from each vCPU");
                // Answer them (two vCPUs may have asked for the same gfn: it is loaded once, both are answered).
                ByteBuffer buf = ByteBuffer.allocateDirect(Gfn.PAGE_SIZE);
                for (PagingRequest r : held) {
                    pager.pageIn(r.gfn().value(), buf);
                    session.respond(r);
                }
                session.pushResponses();
                pager.start();
                Await.until(() -> host.guestOps(d) >= opsBefore + 20_000, WAIT, () -> "the guest running on paged memory");
                host.domains().pause(d);
                assertTrue(host.vcpuFaults(d) >= 8);
                pager.pageInAll();
                assertEquals(0, host.domains().info(d).pagedPages());
                assertClean(host, d);
            }
        }
    }

    @Test
    void contextsArePerVcpuAndADomainRunsOnlyOnceEachHasOne() {
        try (EmulatedXenHost source = new EmulatedXenHost("a"); EmulatedXenHost target = new EmulatedXenHost("b")) {
            DomainId d = source.domains().create(guest(32, 2, "stress-write:4M@0"), true);
            source.domains().unpause(d);
            Await.until(() -> source.guestOps(d) >= 5_000, WAIT, () -> "guest progress");
            source.domains().pause(d);
            List<VcpuState> states = source.domains().vcpuStates(d);

            DomainId e = target.domains().create(guest(32, 2, "stress-write:4M@0"), false);
            XenException wrongSlot = assertThrows(XenException.class,
                    () -> target.domains().setVcpuState(e, new VcpuState(0, states.get(1).context())));
            assertTrue(wrongSlot.getMessage().contains("vcpu1's, given for vcpu0"), wrongSlot.getMessage());
            assertThrows(XenException.class, () -> target.domains().setVcpuState(e, new VcpuState(2, states.get(1).context())));
            target.domains().setVcpuState(e, states.get(0));
            XenException noContext = assertThrows(XenException.class, () -> target.domains().unpause(e));
            assertTrue(noContext.getMessage().contains("vcpu1 has no context"), noContext.getMessage());
            target.domains().setVcpuState(e, states.get(1));
            assertEquals(states, target.domains().vcpuStates(e));
        }
    }

    @Test
    void aPersistentGuestOfTwoVcpusIsReattachedWithEachOnesRegisters(@TempDir Path dir) {
        DomainId d;
        List<VcpuState> states;
        try (EmulatedXenHost host = EmulatedXenHost.persistent("p", dir)) {
            d = host.domains().create(guest(32, 2, "kernel-compile@0"), true);
            host.domains().unpause(d);
            Await.until(() -> host.guestOps(d) >= 10_000, WAIT, () -> "guest progress");
        }   // closed running: each vCPU stops between two operations
        try (EmulatedXenHost host = EmulatedXenHost.persistent("p", dir)) {
            assertEquals(DomainInfo.State.RUNNING, host.domains().info(d).state());
            host.domains().pause(d);
            states = host.domains().vcpuStates(d);
            assertEquals(2, states.size());
            assertClean(host, d);
            long ops = host.guestOps(d);
            host.domains().unpause(d);
            Await.until(() -> host.guestOps(d) >= ops + 5_000, WAIT, () -> "the re-attached guest running on");
            host.domains().pause(d);
            assertClean(host, d);
        }
    }
}
