package org.xenpostcopy.xen.emulated;

import java.util.List;
import java.util.Optional;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStore;
import org.xenpostcopy.xen.XenStoreTransaction;
import org.xenpostcopy.xen.XenStoreWatch;
import org.xenpostcopy.xen.emulated.XenStoreTree.Node;

/**
 * An in-process xenstored: a tree of nodes with values ({@link XenStoreTree}), watches ({@link XenStoreWatches}:
 * fired on the store's own thread, in order, one at once on registration) and transactions
 * ({@link EmulatedXenStoreTransaction}: a snapshot at start; commit fails with {@code EAGAIN} if any node the
 * transaction touched changed meanwhile, as xenstored's generation check does).
 */
public final class EmulatedXenStore implements XenStore, AutoCloseable {
    private final XenStoreTree tree = new XenStoreTree();
    private final XenStoreWatches watches;

    public EmulatedXenStore(String name) {
        watches = new XenStoreWatches(name);
        synchronized (tree) {
            tree.mutate(tree.root(), "/local/domain/0/name", "Domain-0", false);
        }
    }

    // ---- direct operations -------------------------------------------------------------------------------------

    @Override
    public Optional<String> read(String path) {
        synchronized (tree) {
            Node n = XenStoreTree.find(tree.root(), path);
            return n == null ? Optional.empty() : Optional.of(n.value);
        }
    }

    @Override
    public void write(String path, String value) {
        synchronized (tree) {
            tree.mutate(tree.root(), path, value, false);
        }
        watches.fire(path);
    }

    @Override
    public void mkdir(String path) {
        boolean created;
        synchronized (tree) {
            created = XenStoreTree.find(tree.root(), path) == null;
            tree.mutate(tree.root(), path, null, true);
        }
        if (created) {
            watches.fire(path);
        }
    }

    @Override
    public void rm(String path) {
        boolean removed;
        synchronized (tree) {
            removed = tree.remove(tree.root(), path);
        }
        if (removed) {
            watches.fire(path);
        }
    }

    @Override
    public List<String> directory(String path) {
        synchronized (tree) {
            Node n = XenStoreTree.find(tree.root(), path);
            if (n == null) {
                throw new XenException("xs_directory", Errno.ENOENT, path);
            }
            return List.copyOf(n.children.keySet());
        }
    }

    // ---- watches and transactions --------------------------------------------------------------------------------

    @Override
    public XenStoreWatch watch(String path, String token, WatchListener listener) {
        if (!path.startsWith("@")) {
            XenStoreTree.split(path);
        }
        return watches.add(path, token, listener);
    }

    /** Fires watches on a special path such as {@code @releaseDomain}. */
    public void fireSpecial(String special) {
        watches.fire(special);
    }

    @Override
    public XenStoreTransaction begin() {
        return new EmulatedXenStoreTransaction(tree, watches);
    }

    @Override
    public void close() {
        watches.close();
    }
}
