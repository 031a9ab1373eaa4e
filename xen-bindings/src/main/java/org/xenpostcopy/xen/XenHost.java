package org.xenpostcopy.xen;

/**
 * One Xen host as dom0 sees it: the façade over the host-facing interfaces. Implementations: the emulated
 * host (in-process, the default) and the native host (JNA on a real dom0).
 */
public interface XenHost extends AutoCloseable {
    /** A short description for logs and reports, e.g. {@code "emulated host 'src'"}. */
    String describe();

    DomainControl domains();

    GuestMemory memory();

    PagingChannel paging();

    DirtyLog dirtyLog();

    XenStore store();

    /** The guest probe, where this host has one (see {@link GuestProbe}). */
    default java.util.Optional<GuestProbe> guestProbe() {
        return java.util.Optional.empty();
    }

    /** Releases everything the host holds (domains of an emulated host, handles of a native one). */
    @Override
    void close();
}
