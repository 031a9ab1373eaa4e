package org.xenpostcopy.xen;

import java.nio.ByteBuffer;

/**
 * Guest memory through foreign mappings ({@code xenforeignmemory_map}), one 4 KiB page at a time.
 * A gfn out of the domain's range, unpopulated, or paged out is refused with a {@link XenException}
 * ({@code EINVAL}, {@code ENOENT}); nothing is read or written then.
 */
public interface GuestMemory {
    /** Copies the page into {@code dst} at its position (which advances by 4096). */
    void read(DomainId domain, Gfn gfn, ByteBuffer dst);

    /** Copies 4096 bytes from {@code src} at its position into the page (the position advances). */
    void write(DomainId domain, Gfn gfn, ByteBuffer src);

    /** The number of gfns the domain's physmap spans (its max pages). */
    long gfnCount(DomainId domain);

    /** The gfn's p2m type, for checks and tests. */
    P2mType typeOf(DomainId domain, Gfn gfn);
}
