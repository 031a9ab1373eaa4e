package org.xenpostcopy.xen.pager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.timeout;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.P2mType;
import org.xenpostcopy.xen.PagingRequest;
import org.xenpostcopy.xen.PagingSession;

/** The pager loop on a mocked ring: what is here is answered at once, the rest when its page comes. */
class PagerLoopTest {
    private final PagingSession session = mock(PagingSession.class);
    private final ConcurrentLinkedQueue<PagingRequest> ring = new ConcurrentLinkedQueue<>();

    private static PagingRequest fault(long gfn) {
        return new PagingRequest(Gfn.of(gfn), 0, true, false, P2mType.PAGED, 0);
    }

    PagerLoopTest() throws Exception {
        when(session.domain()).thenReturn(DomainId.of(4));
        when(session.awaitEvent(anyLong(), any())).thenReturn(false);
        doAnswer(inv -> {
            List<PagingRequest> out = inv.getArgument(0);
            int n = 0;
            PagingRequest r;
            while ((r = ring.poll()) != null) {
                out.add(r);
                n++;
            }
            return n;
        }).when(session).takeRequests(anyList());
    }

    @Test
    void presentPagesAreAnsweredAtOnceTheOthersWhenTheirPageComes() throws Exception {
        PagingRequest here = fault(1);
        PagingRequest missing = fault(2);
        List<PagingRequest> parked = new ArrayList<>();
        PagerLoop loop = new PagerLoop(session, (r, at) -> {
            if (r.gfn().value() == 1) {
                return true;
            }
            synchronized (parked) {
                parked.add(r);
            }
            return false;
        });
        ring.add(here);
        ring.add(missing);
        loop.start();
        verify(session, timeout(5000)).respond(here);
        verify(session, timeout(5000)).pushResponses();
        verify(session, never()).respond(missing);
        synchronized (parked) {
            assertEquals(List.of(missing), parked);
        }
        loop.answer(List.of(missing));              // its page arrived, on another thread
        InOrder order = inOrder(session);
        order.verify(session).respond(missing);
        order.verify(session).pushResponses();
        loop.close();
        assertEquals(2, loop.requestsTaken());
        assertEquals(null, loop.failure());
    }

    @Test
    void drainAnswersRequestsThatArriveAfterTheLoopStopped() throws Exception {
        PagerLoop loop = new PagerLoop(session, (r, at) -> true);
        PagingRequest late = fault(9);
        ring.add(late);
        loop.drainAndStop(100);
        verify(session).respond(late);
        loop.answer(List.of(fault(10)));
        verify(session, never()).respond(fault(10));   // closed: the ring may be unmapped by now
    }

    @Test
    void aFailingHandlerStopsTheLoopAndSaysWhy() throws Exception {
        PagerLoop loop = new PagerLoop(session, (r, at) -> {
            throw new IllegalStateException("broken ledger");
        });
        ring.add(fault(3));
        loop.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (loop.failure() == null && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertTrue(loop.failure() instanceof IllegalStateException);
        loop.close();
    }

    @Test
    void theTickRunsOnTheLoopsThread() throws Exception {
        List<String> ticks = new ArrayList<>();
        PagerLoop loop = new PagerLoop(session, (r, at) -> true, () -> {
            synchronized (ticks) {
                ticks.add(Thread.currentThread().getName());
            }
        }, TimeUnit.MILLISECONDS.toNanos(1)).start();
        verify(session, timeout(5000).atLeast(3)).awaitEvent(anyLong(), any());
        loop.close();
        synchronized (ticks) {
            assertTrue(!ticks.isEmpty() && ticks.stream().allMatch(n -> n.equals("pager-dom4")), ticks.toString());
        }
    }
}
