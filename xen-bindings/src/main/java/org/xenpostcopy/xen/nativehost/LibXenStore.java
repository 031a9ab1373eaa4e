package org.xenpostcopy.xen.nativehost;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/**
 * libxenstore ({@code xenstore.h}). Connects to {@code $XENSTORED_PATH}, else the standard socket or xenbus.
 * Returned buffers (xs_read, xs_directory, xs_read_watch) are malloc'd by the library and freed by the caller with
 * libc {@code free}. Booleans come back as a C {@code bool} (one byte).
 */
public interface LibXenStore extends Library {
    static LibXenStore load() {
        return Native.load("xenstore", LibXenStore.class);
    }

    int XBT_NULL = 0;

    Handles.XsHandle xs_open(long flags);

    void xs_close(Handles.XsHandle h);

    Pointer xs_read(Handles.XsHandle h, int t, String path, IntByReference len);

    byte xs_write(Handles.XsHandle h, int t, String path, byte[] data, int len);

    byte xs_mkdir(Handles.XsHandle h, int t, String path);

    byte xs_rm(Handles.XsHandle h, int t, String path);

    Pointer xs_directory(Handles.XsHandle h, int t, String path, IntByReference num);

    int xs_transaction_start(Handles.XsHandle h);

    byte xs_transaction_end(Handles.XsHandle h, int t, byte abort);

    byte xs_watch(Handles.XsHandle h, String path, String token);

    byte xs_unwatch(Handles.XsHandle h, String path, String token);

    int xs_fileno(Handles.XsHandle h);

    Pointer xs_read_watch(Handles.XsHandle h, IntByReference num);
}
