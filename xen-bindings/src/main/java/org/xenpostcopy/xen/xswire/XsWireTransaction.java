package org.xenpostcopy.xen.xswire;

import java.util.List;
import java.util.Optional;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStoreTransaction;

/** A transaction xenstored opened for {@link XsWireClient}: its requests carry the transaction's id. */
final class XsWireTransaction implements XenStoreTransaction {
    private final XsWireClient client;
    private final int id;
    private final XsWireOps ops;
    private boolean done;

    XsWireTransaction(XsWireClient client, int id) {
        this.client = client;
        this.id = id;
        this.ops = new XsWireOps(client, id);
    }

    @Override
    public Optional<String> read(String path) {
        return ops.read(path);
    }

    @Override
    public void write(String path, String value) {
        ops.write(path, value);
    }

    @Override
    public void mkdir(String path) {
        ops.mkdir(path);
    }

    @Override
    public void rm(String path) {
        ops.rm(path);
    }

    @Override
    public List<String> directory(String path) {
        return ops.directory(path);
    }

    @Override
    public boolean commit() {
        done = true;
        try {
            client.call(XsType.TRANSACTION_END, id, XsMessage.join(true, "T"), "xs_transaction_end");
            return true;
        } catch (XenException e) {
            if (e.is(Errno.EAGAIN)) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public void abort() {
        if (!done) {
            done = true;
            client.call(XsType.TRANSACTION_END, id, XsMessage.join(true, "F"), "xs_transaction_end");
        }
    }
}
