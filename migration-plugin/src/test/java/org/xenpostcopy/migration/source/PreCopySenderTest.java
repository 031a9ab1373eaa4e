package org.xenpostcopy.migration.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.link.LinkShaper;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestMemory;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;

/** Pre-copy rounds on a mocked host: a page the guest gave back mid-round is skipped only while it runs. */
class PreCopySenderTest {
    private static final DomainId DOM = DomainId.of(3);
    private final XenHost host = mock(XenHost.class);
    private final GuestMemory memory = mock(GuestMemory.class);
    private final DestinationPeer push = mock(DestinationPeer.class);
    private PreCopySender sender;

    @BeforeEach
    void wire() {
        when(host.memory()).thenReturn(memory);
        doAnswer(inv -> {
            ByteBuffer dst = inv.getArgument(2);
            dst.position(dst.position() + Gfn.PAGE_SIZE);
            return null;
        }).when(memory).read(eq(DOM), any(), any());
        // A PV dom0's foreign map answers EINVAL for a gfn that is no longer populated.
        doThrow(new XenException("xenforeignmemory_map", Errno.EINVAL, "dom3 gfn 0x5")).when(memory)
                .read(eq(DOM), eq(Gfn.of(5)), any());
        sender = new PreCopySender(host, DOM, push, new LinkShaper(0, 0), 64);
    }

    private static GfnBitmap gfns(long... g) {
        GfnBitmap b = new GfnBitmap(16);
        for (long x : g) {
            b.set(x);
        }
        return b;
    }

    @Test
    void aLiveRoundSkipsAPageTheGuestGaveBackAndSendsTheRest() throws Exception {
        List<Long> list = PushedGfns.recordedBy(push);
        assertEquals(3, sender.send(gfns(4, 5, 6, 7), () -> { }, true));
        assertEquals(List.of(4L, 6L, 7L), list);
    }

    @Test
    void withTheGuestStoppedAnUnreadablePageIsAnErrorNotASkip() throws Exception {
        XenException e = assertThrows(XenException.class, () -> sender.send(gfns(4, 5), () -> { }, false));
        assertEquals(true, e.is(Errno.EINVAL));
        verify(push, never()).push(any());
    }
}
