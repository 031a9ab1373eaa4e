package org.xenpostcopy.xen.nativehost;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/**
 * The libc calls the native host needs: poll on the event-channel fd, munmap of the ring page, and anonymous
 * mappings for guest memory ({@link AnonymousMappings}). Constants are Linux's (x86-64 and arm64 alike).
 */
interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    short POLLIN = 1;

    int PROT_READ = 1;
    int PROT_WRITE = 2;
    int MAP_PRIVATE = 0x02;
    int MAP_ANONYMOUS = 0x20;
    int MAP_NORESERVE = 0x4000;
    /** What {@code mmap} returns on failure, {@code (void *) -1}. */
    long MAP_FAILED = -1L;
    int MADV_HUGEPAGE = 14;

    /** {@code struct pollfd} */
    @Structure.FieldOrder({"fd", "events", "revents"})
    class PollFd extends Structure {
        public int fd;
        public short events;
        public short revents;
    }

    int poll(PollFd fds, long nfds, int timeoutMs);

    /** {@code void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)}; the caller munmaps. */
    Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset);

    int munmap(Pointer addr, long length);

    /** {@code int madvise(void *addr, size_t length, int advice)}: 0, or -1 and errno. */
    int madvise(Pointer addr, long length, int advice);
}
