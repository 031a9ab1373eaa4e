package org.xenpostcopy.xen.nativehost;

import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GuestMemory;
import org.xenpostcopy.xen.P2mType;
import org.xenpostcopy.xen.XenException;

/** Foreign mappings one page at a time; only ever of the domain named in the call. */
final class NativeGuestMemory implements GuestMemory {
    private final LibXenForeignMemory fm;
    private final Handles.ForeignMemory fmem;
    private final XcDomainQueries queries;

    NativeGuestMemory(LibXenForeignMemory fm, Handles.ForeignMemory fmem, XcDomainQueries queries) {
        this.fm = fm;
        this.fmem = fmem;
        this.queries = queries;
    }

    private Pointer map(DomainId domain, Gfn gfn, int prot) {
        int[] err = new int[1];
        Pointer p = fm.xenforeignmemory_map(fmem, domain.value(), prot, 1, new long[] {gfn.value()}, err);
        if (p == null) {
            throw XenErrors.failure("xenforeignmemory_map", domain + " " + gfn);
        }
        if (err[0] != 0) {
            fm.xenforeignmemory_unmap(fmem, p, 1);
            Errno e = Errno.fromCode(-err[0]);
            throw new XenException("xenforeignmemory_map", e == null ? Errno.EINVAL : e, domain + " " + gfn);
        }
        return p;
    }

    @Override
    public void read(DomainId domain, Gfn gfn, ByteBuffer dst) {
        Pointer p = map(domain, gfn, LibXenForeignMemory.PROT_READ);
        try {
            int pos = dst.position();
            dst.put(pos, p.getByteBuffer(0, Gfn.PAGE_SIZE), 0, Gfn.PAGE_SIZE);
            dst.position(pos + Gfn.PAGE_SIZE);
        } finally {
            fm.xenforeignmemory_unmap(fmem, p, 1);
        }
    }

    @Override
    public void write(DomainId domain, Gfn gfn, ByteBuffer src) {
        Pointer p = map(domain, gfn, LibXenForeignMemory.PROT_READ | LibXenForeignMemory.PROT_WRITE);
        try {
            int pos = src.position();
            p.getByteBuffer(0, Gfn.PAGE_SIZE).put(0, src, pos, Gfn.PAGE_SIZE);
            src.position(pos + Gfn.PAGE_SIZE);
        } finally {
            fm.xenforeignmemory_unmap(fmem, p, 1);
        }
    }

    @Override
    public long gfnCount(DomainId domain) {
        return queries.gfnSpan(domain);
    }

    /**
     * RAM_RW or INVALID only: Xen has no call that reports the paging states without paging the gfn in, so
     * this is refused while the domain has paged-out pages (the pager knows those states itself).
     */
    @Override
    public P2mType typeOf(DomainId domain, Gfn gfn) {
        queries.refuseIfPaged(domain, "xc_get_pfn_type_batch");
        return XcDomainQueries.backedByRam(queries.pfnTypes(domain, gfn.value(), 1)[0]) ? P2mType.RAM_RW
                : P2mType.INVALID;
    }
}
