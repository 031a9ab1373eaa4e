package org.xenpostcopy.xen;

/** A registered xenstore watch; closing it is {@code xs_unwatch}. */
public interface XenStoreWatch extends AutoCloseable {
    String path();

    String token();

    @Override
    void close();
}
