package org.xenpostcopy.xen.nativehost;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * libxenforeignmemory ({@code xenforeignmemory.h}). Never map a paged-out gfn from the thread that serves the
 * paging ring: Xen pages it in and the library retries every 100 µs until the pager answers.
 */
public interface LibXenForeignMemory extends Library {
    static LibXenForeignMemory load() {
        return Native.load("xenforeignmemory", LibXenForeignMemory.class);
    }

    Handles.ForeignMemory xenforeignmemory_open(Pointer logger, int openFlags);

    int xenforeignmemory_close(Handles.ForeignMemory fmem);

    /** Maps {@code pages} gfns; per-page errors in {@code err}; NULL on total failure. Unmap with xenforeignmemory_unmap. */
    Pointer xenforeignmemory_map(Handles.ForeignMemory fmem, int dom, int prot, long pages, long[] arr, int[] err);

    int xenforeignmemory_unmap(Handles.ForeignMemory fmem, Pointer addr, long pages);

    int PROT_READ = 1;
    int PROT_WRITE = 2;
}
