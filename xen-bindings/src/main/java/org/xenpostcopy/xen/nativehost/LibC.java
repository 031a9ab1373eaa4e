package org.xenpostcopy.xen.nativehost;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/** The libc calls the native pager needs: poll on the event-channel fd, munmap of the ring page. */
interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    short POLLIN = 1;

    /** {@code struct pollfd} */
    @Structure.FieldOrder({"fd", "events", "revents"})
    class PollFd extends Structure {
        public int fd;
        public short events;
        public short revents;
    }

    int poll(PollFd fds, long nfds, int timeoutMs);

    int munmap(Pointer addr, long length);
}
