package org.xenpostcopy.migration.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.Checkpoint;
import org.xenpostcopy.migration.peer.PageBatch;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.VcpuState;

/** A checkpoint counts only once wholly received, and a fail-back restores the newest whole one over older ones. */
class CheckpointStoreTest {
    private static final long SPAN = 64;
    private static final List<VcpuState> VCPU = List.of(new VcpuState(0, new byte[] {1, 2, 3}));

    private static PageBatch pages(long... gfnsAndFill) {
        int n = gfnsAndFill.length / 2;
        long[] gfns = new long[n];
        ByteBuffer b = ByteBuffer.allocate(n * Gfn.PAGE_SIZE);
        for (int i = 0; i < n; i++) {
            gfns[i] = gfnsAndFill[2 * i];
            byte fill = (byte) gfnsAndFill[2 * i + 1];
            for (int j = 0; j < Gfn.PAGE_SIZE; j++) {
                b.put(fill);
            }
        }
        b.flip();
        return new PageBatch(gfns, n, b);
    }

    private static Checkpoint commit(long seq, long pages, GfnBitmap holes) {
        return new Checkpoint(seq, VCPU, holes, pages, 100 * seq);
    }

    /** gfn to the first byte of its restored page. */
    private static Map<Long, Byte> restored(CheckpointStore store) {
        Map<Long, Byte> out = new TreeMap<>();
        store.forEachPage((gfn, page) -> out.put(gfn, page.get(0)));
        return out;
    }

    @Test
    void aCommitMergesOverEarlierCheckpointsAndHolesDropPages() {
        CheckpointStore store = new CheckpointStore(SPAN);
        store.pages(1, pages(3, 0x11, 4, 0x12));
        store.commit(commit(1, 2, new GfnBitmap(SPAN)));
        store.pages(2, pages(4, 0x22, 9, 0x29));
        GfnBitmap holes = new GfnBitmap(SPAN);
        holes.set(3);                      // the guest gave gfn 3 back after checkpoint 1
        store.commit(commit(2, 2, holes));

        CheckpointStore.Committed c = store.freeze().orElseThrow();
        assertEquals(2, c.seq());
        assertEquals(200, c.guestOps());
        assertEquals(Map.of(4L, (byte) 0x22, 9L, (byte) 0x29), restored(store));
        assertEquals(2, store.commits());
        assertEquals(4, store.pagesReceived());
    }

    @Test
    void aCheckpointCutShortIsNeverApplied() {
        CheckpointStore store = new CheckpointStore(SPAN);
        store.pages(1, pages(3, 0x11));
        store.commit(commit(1, 1, new GfnBitmap(SPAN)));
        store.pages(2, pages(3, 0x22, 5, 0x25));
        // its commit names three pages: one was lost with the connection
        PeerException e = assertThrows(PeerException.class, () -> store.commit(commit(2, 3, new GfnBitmap(SPAN))));
        assertEquals(RemoteError.WRONG_STATE, e.error());
        // the next attempt, under a new number, starts from nothing staged
        store.pages(3, pages(5, 0x35));
        assertThrows(PeerException.class, () -> store.commit(commit(3, 2, new GfnBitmap(SPAN))));

        assertEquals(1, store.freeze().orElseThrow().seq());
        assertEquals(Map.of(3L, (byte) 0x11), restored(store));
    }

    @Test
    void oldNumbersOutOfRangeGfnsAndLateCheckpointsAreRefused() {
        CheckpointStore store = new CheckpointStore(SPAN);
        store.pages(2, pages(1, 1));
        store.commit(commit(2, 1, new GfnBitmap(SPAN)));
        assertEquals(RemoteError.WRONG_STATE, assertThrows(PeerException.class, () -> store.pages(2, pages(1, 1)))
                .error());
        assertEquals(RemoteError.BAD_REQUEST, assertThrows(PeerException.class, () -> store.pages(3, pages(SPAN, 1)))
                .error());
        assertEquals(RemoteError.BAD_REQUEST, assertThrows(PeerException.class,
                () -> store.commit(commit(3, 0, new GfnBitmap(SPAN + 1)))).error());
        store.freeze();
        assertEquals(RemoteError.TAKEN_BACK, assertThrows(PeerException.class, () -> store.pages(4, pages(1, 1)))
                .error());
    }

    @Test
    void pagesAreCopiedOutOfTheCallersBuffer() {
        CheckpointStore store = new CheckpointStore(SPAN);
        PageBatch b = pages(7, 0x42);
        store.pages(1, b);
        b.pages().put(0, (byte) 0);       // the receive buffer is reused for the next call
        store.commit(commit(1, 1, new GfnBitmap(SPAN)));
        store.freeze();
        byte[][] got = new byte[1][];
        store.forEachPage((gfn, page) -> {
            got[0] = new byte[Gfn.PAGE_SIZE];
            page.get(got[0]);
        });
        byte[] want = new byte[Gfn.PAGE_SIZE];
        java.util.Arrays.fill(want, (byte) 0x42);
        assertArrayEquals(want, got[0]);
        assertTrue(store.latest().isPresent());
    }
}
