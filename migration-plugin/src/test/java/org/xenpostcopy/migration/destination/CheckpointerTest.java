package org.xenpostcopy.migration.destination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.link.LinkShaper;
import org.xenpostcopy.xen.DirtyLog;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestMemory;
import org.xenpostcopy.xen.XenHost;

/**
 * A reverse checkpoint's taking, against a mocked host: a checkpointer stopped mid-copy (the last page arrived, the
 * session completes) breaks off at once, never leaving the guest paused or a checkpoint half sent, and rounds that
 * shrink go on to the pause.
 */
class CheckpointerTest {
    private static final DomainId DOM = new DomainId(9);
    private static final long PAGES = 4096;
    /** What the mocked host takes to read a page: a copy's cost, spun rather than slept so the copy is timed. */
    private static final long READ_NANOS = 20_000;

    private final XenHost host = mock(XenHost.class);
    private final DirtyLog dirtyLog = mock(DirtyLog.class);
    private final GuestMemory memory = mock(GuestMemory.class);
    private final DomainControl domains = mock(DomainControl.class);
    private final AtomicLong reads = new AtomicLong();
    private Checkpointer checkpointer;

    CheckpointerTest() {
        when(host.dirtyLog()).thenReturn(dirtyLog);
        when(host.memory()).thenReturn(memory);
        when(host.domains()).thenReturn(domains);
        when(domains.populatedAmong(eq(DOM), any())).thenAnswer(call -> ((GfnBitmap) call.getArgument(1)).copy());
    }

    /** A checkpointer every {@code intervalMs}: its pause may take a twentieth of it; none is overdue for 60 of them. */
    private Checkpointer checkpointer(long intervalMs) {
        checkpointer = new Checkpointer("s", host, DOM, PAGES, () -> fail("nothing is sent in these tests"),
                intervalMs, () -> true, LinkShaper.unshaped(), () -> new GfnBitmap(PAGES));
        return checkpointer;
    }

    @AfterEach
    void stopTheCheckpointer() {
        if (checkpointer != null) {
            checkpointer.stop();
        }
    }

    /** The dirty log answers these sets, one per read, the first {@code sizes[0]} gfns each. */
    private void dirtyRounds(long... sizes) {
        Deque<GfnBitmap> rounds = new ArrayDeque<>();
        for (long n : sizes) {
            GfnBitmap b = new GfnBitmap(PAGES);
            b.setRange(0, n);
            rounds.add(b);
        }
        when(dirtyLog.readAndClear(DOM)).thenAnswer(call -> rounds.isEmpty() ? new GfnBitmap(PAGES) : rounds.poll());
    }

    private void readsCost(long nanos, long atRead, Runnable action) {
        doAnswer(call -> {
            long until = System.nanoTime() + nanos;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            if (reads.incrementAndGet() == atRead) {
                action.run();
            }
            return null;
        }).when(memory).read(eq(DOM), any(Gfn.class), any(ByteBuffer.class));
    }

    @Test
    void aStopWhileCopyingBreaksOffAtOnceAndNeverPausesTheGuest() {
        Checkpointer c = checkpointer(100);
        dirtyRounds(PAGES);
        readsCost(0, 100, c::stop);

        assertNull(c.take(), "a checkpoint broken off is not one");

        assertEquals(100, reads.get(), "pages read after the stop");
        verify(domains, never()).pause(DOM);
        assertEquals(0, c.deferred(), "stopped, not put off");
    }

    @Test
    void roundsThatShrinkFastEnoughGoOnToThePause() {
        // Every 60 s: a pause of 3 s may be taken, so however slow this machine copies, 10 pages fit. 2 000, then 500
        // (a quarter), then 10: under 256 pages a round goes straight to the pause, which copies the 5 dirtied
        // meanwhile.
        Checkpointer c = checkpointer(60_000);
        dirtyRounds(2000, 500, 10, 5);
        readsCost(READ_NANOS, 0, () -> { });

        assertNotNull(c.take());

        verify(dirtyLog, times(4)).readAndClear(DOM);
        verify(domains).pause(DOM);
        verify(domains).unpause(DOM);
        assertEquals(2515, reads.get());
        assertEquals(0, c.deferred());
    }

    @Test
    void aStopDuringThePausedCopyUnpausesTheGuestAndGivesNoCheckpoint() {
        Checkpointer c = checkpointer(60_000);
        // 2 000 live, then 10 (straight to the pause), then 50 dirtied meanwhile: stopped at the 20th of those.
        dirtyRounds(2000, 10, 50);
        readsCost(0, 2000 + 10 + 20, c::stop);

        assertNull(c.take(), "a copy broken off is not a checkpoint");

        assertEquals(2030, reads.get());
        verify(domains).pause(DOM);
        verify(domains).unpause(DOM);
        verify(domains, never()).vcpuStates(DOM);
    }
}
