package org.xenpostcopy.xen.nativehost;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/**
 * {@code xc_hypercall_buffer_t} (Xen 4.17, x86-64: 40 bytes): the shadow record libxenctrl keeps for memory the
 * hypervisor may read or write. The dirty bitmap of {@code xc_logdirty_control} must live in such memory, which
 * only {@code xc__hypercall_buffer_alloc_pages} hands out. Initialised as {@code DECLARE_HYPERCALL_BUFFER} does
 * (no bounce buffer: {@code dir = 0}, {@code ubuf = (void *)-1}). Layout pinned by NativeLibrariesTest.
 */
@Structure.FieldOrder({"hbuf", "param_shadow", "dir", "ubuf", "sz"})
public class XcHypercallBuffer extends Structure {
    public Pointer hbuf;
    public Pointer param_shadow;
    public int dir;
    public Pointer ubuf = new Pointer(-1);
    public long sz;

    int offsetOf(String field) {
        return fieldOffset(field);
    }
}
