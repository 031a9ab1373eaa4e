package org.xenpostcopy.xen.xswire;

import java.util.List;
import java.util.Optional;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStoreOps;

/** The xenstore operations as {@link XsWireClient} requests, outside a transaction (tx 0) or inside one. */
final class XsWireOps implements XenStoreOps {
    private final XsWireClient client;
    private final int tx;

    XsWireOps(XsWireClient client, int tx) {
        this.client = client;
        this.tx = tx;
    }

    @Override
    public Optional<String> read(String path) {
        try {
            return Optional.of(client.call(XsType.READ, tx, XsMessage.join(true, path), "xs_read").text());
        } catch (XenException e) {
            if (e.is(Errno.ENOENT)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public void write(String path, String value) {
        client.call(XsType.WRITE, tx, XsMessage.join(false, path, value), "xs_write");
    }

    @Override
    public void mkdir(String path) {
        client.call(XsType.MKDIR, tx, XsMessage.join(true, path), "xs_mkdir");
    }

    @Override
    public void rm(String path) {
        try {
            client.call(XsType.RM, tx, XsMessage.join(true, path), "xs_rm");
        } catch (XenException e) {
            if (!e.is(Errno.ENOENT)) {
                throw e;
            }
        }
    }

    @Override
    public List<String> directory(String path) {
        return client.call(XsType.DIRECTORY, tx, XsMessage.join(true, path), "xs_directory").parts();
    }
}
