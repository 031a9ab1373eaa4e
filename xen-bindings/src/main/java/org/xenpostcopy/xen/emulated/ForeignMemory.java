package org.xenpostcopy.xen.emulated;

import java.nio.ByteBuffer;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.P2mType;
import org.xenpostcopy.xen.XenException;

/**
 * dom0's foreign mappings of one domain's gfns ({@code xenforeignmemory_map}), one page at a time: map, copy, unmap.
 * A paged-out gfn is not mapped: the caller gets {@code ENOENT} and, if a pager is attached, a page-in request goes
 * on the ring without pausing anyone.
 */
final class ForeignMemory {
    private final DomainId id;
    private final P2mTable p2m;
    private final GuestPhysicalMemory memory;
    private final LogDirty dirty;
    private final PagingFrontEnd paging;

    ForeignMemory(DomainId id, P2mTable p2m, GuestPhysicalMemory memory, LogDirty dirty, PagingFrontEnd paging) {
        this.id = id;
        this.p2m = p2m;
        this.memory = memory;
        this.dirty = dirty;
        this.paging = paging;
    }

    void read(long gfn, ByteBuffer dst) {
        p2m.checkRange("xenforeignmemory_map", gfn);
        if (dst.remaining() < Gfn.PAGE_SIZE) {
            throw new IllegalArgumentException("buffer has " + dst.remaining() + " bytes left, a page needs 4096");
        }
        byte t;
        synchronized (p2m.lock(gfn)) {
            p2m.checkNotFreed("xenforeignmemory_map");
            t = p2m.get(gfn);
            if (t == P2mTable.RAM_RW || t == P2mTable.PAGING_OUT) {
                // Map, copy, unmap: the mapping is gone before any evict, so a nomination survives it, as on
                // a PV dom0 (mm.c pages in only p2m_ram_paged gfns; evict checks the reference count then).
                // This is how a pager copies a nominated page.
                memory.copyOut(gfn, dst);
                return;
            }
        }
        throw notPresent(gfn, t);
    }

    void write(long gfn, ByteBuffer src) {
        p2m.checkRange("xenforeignmemory_map", gfn);
        if (src.remaining() < Gfn.PAGE_SIZE) {
            throw new IllegalArgumentException("buffer has " + src.remaining() + " bytes left, a page needs 4096");
        }
        byte t;
        synchronized (p2m.lock(gfn)) {
            p2m.checkNotFreed("xenforeignmemory_map");
            t = p2m.get(gfn);
            if (t == P2mTable.RAM_RW || t == P2mTable.PAGING_OUT) {
                // Stricter than Xen, which would let the write land and the evict drop it: a write cancels.
                p2m.set(gfn, P2mTable.RAM_RW);
                memory.copyIn(gfn, src);
                dirty.mark(gfn);
                return;
            }
        }
        throw notPresent(gfn, t);
    }

    private XenException notPresent(long gfn, byte t) {
        if (t == P2mTable.INVALID) {
            return new XenException("xenforeignmemory_map", Errno.ENOENT,
                    String.format("%s gfn 0x%x is not populated", id, gfn));
        }
        if (paging.pagerAttached()) {
            paging.foreignRequest(gfn, P2mTable.toPublic(t).code());
        }
        return new XenException("xenforeignmemory_map", Errno.ENOENT,
                String.format("%s gfn 0x%x is paged out (page-in requested; retry)", id, gfn));
    }

    P2mType typeOf(long gfn) {
        p2m.checkRange("xc_get_mem_access", gfn);
        synchronized (p2m.lock(gfn)) {
            return P2mTable.toPublic(p2m.get(gfn));
        }
    }
}
