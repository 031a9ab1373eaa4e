package org.xenpostcopy.xen.emulated;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStoreTransaction;
import org.xenpostcopy.xen.emulated.XenStoreTree.Node;

/**
 * A transaction of the emulated xenstored: it reads and writes a snapshot of the tree taken at its start and
 * remembers the generation each node it touched had there; commit fails with {@code EAGAIN} if any of them changed
 * in the live tree meanwhile (xenstored's generation check), else replays its writes there and fires their watches.
 */
final class EmulatedXenStoreTransaction implements XenStoreTransaction {
    private final XenStoreTree tree;
    private final XenStoreWatches watches;
    private final Node snapshot;
    /** Paths touched, with the generation each had in the snapshot (-1 = absent). */
    private final Map<String, Long> touched = new HashMap<>();
    private final List<String[]> ops = new ArrayList<>();  // {kind, path, value}
    private boolean done;

    /** Starts a transaction on a snapshot of {@code tree} taken now. */
    EmulatedXenStoreTransaction(XenStoreTree tree, XenStoreWatches watches) {
        this.tree = tree;
        this.watches = watches;
        synchronized (tree) {
            this.snapshot = tree.root().deepCopy();
        }
    }

    private void touch(String path) {
        touched.computeIfAbsent(path, p -> {
            Node n = XenStoreTree.find(snapshot, p);
            return n == null ? -1L : n.gen;
        });
    }

    private void live() {
        if (done) {
            throw new XenException("xs_transaction", Errno.EINVAL, "transaction already ended");
        }
    }

    @Override
    public Optional<String> read(String path) {
        live();
        touch(path);
        Node n = XenStoreTree.find(snapshot, path);
        return n == null ? Optional.empty() : Optional.of(n.value);
    }

    @Override
    public void write(String path, String value) {
        live();
        touch(path);
        synchronized (tree) {
            tree.mutate(snapshot, path, value, false);
        }
        ops.add(new String[] {"w", path, value});
    }

    @Override
    public void mkdir(String path) {
        live();
        touch(path);
        synchronized (tree) {
            tree.mutate(snapshot, path, null, true);
        }
        ops.add(new String[] {"m", path, null});
    }

    @Override
    public void rm(String path) {
        live();
        touch(path);
        synchronized (tree) {
            tree.remove(snapshot, path);
        }
        ops.add(new String[] {"r", path, null});
    }

    @Override
    public List<String> directory(String path) {
        live();
        touch(path);
        Node n = XenStoreTree.find(snapshot, path);
        if (n == null) {
            throw new XenException("xs_directory", Errno.ENOENT, path);
        }
        return List.copyOf(n.children.keySet());
    }

    @Override
    public boolean commit() {
        live();
        done = true;
        synchronized (tree) {
            for (Map.Entry<String, Long> e : touched.entrySet()) {
                Node now = XenStoreTree.find(tree.root(), e.getKey());
                long gen = now == null ? -1L : now.gen;
                if (gen != e.getValue()) {
                    return false;  // EAGAIN
                }
            }
            for (String[] op : ops) {
                switch (op[0]) {
                    case "w" -> tree.mutate(tree.root(), op[1], op[2], false);
                    case "m" -> tree.mutate(tree.root(), op[1], null, true);
                    default -> tree.remove(tree.root(), op[1]);
                }
            }
        }
        for (String[] op : ops) {
            watches.fire(op[1]);
        }
        return true;
    }

    @Override
    public void abort() {
        done = true;
    }
}
