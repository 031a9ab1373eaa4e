package org.xenpostcopy.xen.emulated;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStore;
import org.xenpostcopy.xen.XenStoreOps;
import org.xenpostcopy.xen.XenStoreTransaction;
import org.xenpostcopy.xen.XenStoreWatch;

/**
 * An in-process xenstored: a tree of nodes with values, watches (fired on the store's own thread, in order, one
 * at once on registration) and transactions (a snapshot at start; commit fails with {@code EAGAIN} if any node
 * the transaction touched changed meanwhile, as xenstored's generation check does).
 */
public final class EmulatedXenStore implements XenStore, AutoCloseable {
    static final int MAX_PATH = 3072;       // XENSTORE_ABS_PATH_MAX
    static final int MAX_VALUE = 4096;      // XENSTORE_PAYLOAD_MAX

    private final Object lock = new Object();
    private Node root = new Node(0);
    private long generation;
    private final List<Watch> watches = new ArrayList<>();
    private final ExecutorService events;

    public EmulatedXenStore(String name) {
        events = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "xenstored-" + name);
            t.setDaemon(true);
            return t;
        });
        synchronized (lock) {
            mutate(root, "/local/domain/0/name", "Domain-0", false);
        }
    }

    /** A node: value, children, and the generation of its last change (value or child list). */
    private static final class Node {
        String value = "";
        final TreeMap<String, Node> children = new TreeMap<>();
        long gen;

        Node(long gen) {
            this.gen = gen;
        }

        Node deepCopy() {
            Node n = new Node(gen);
            n.value = value;
            children.forEach((k, v) -> n.children.put(k, v.deepCopy()));
            return n;
        }
    }

    static List<String> split(String path) {
        if (path == null || !path.startsWith("/")) {
            throw new XenException("xs", Errno.EINVAL, "path must be absolute: '" + path + "'");
        }
        if (path.length() > MAX_PATH) {
            throw new XenException("xs", Errno.E2BIG, "path longer than " + MAX_PATH);
        }
        if (path.equals("/")) {
            return List.of();
        }
        String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        List<String> parts = new ArrayList<>();
        for (String s : p.substring(1).split("/", -1)) {
            if (s.isEmpty() || !s.chars().allMatch(c -> Character.isLetterOrDigit(c) || "-/_@.".indexOf(c) >= 0)) {
                throw new XenException("xs", Errno.EINVAL, "bad path '" + path + "'");
            }
            parts.add(s);
        }
        return parts;
    }

    private static Node find(Node root, String path) {
        Node n = root;
        for (String s : split(path)) {
            n = n.children.get(s);
            if (n == null) {
                return null;
            }
        }
        return n;
    }

    /** Writes (or with {@code mkdirOnly}, creates) a node under {@code root}, creating parents. Caller holds lock. */
    private void mutate(Node root, String path, String value, boolean mkdirOnly) {
        if (value != null && value.length() > MAX_VALUE) {
            throw new XenException("xs_write", Errno.E2BIG, "value longer than " + MAX_VALUE + " bytes at " + path);
        }
        long gen = ++generation;
        Node n = root;
        for (String s : split(path)) {
            Node child = n.children.get(s);
            if (child == null) {
                child = new Node(gen);
                n.children.put(s, child);
                n.gen = gen;
            }
            n = child;
        }
        if (!mkdirOnly) {
            n.value = value;
            n.gen = gen;
        }
    }

    private boolean remove(Node root, String path) {
        List<String> parts = split(path);
        if (parts.isEmpty()) {
            throw new XenException("xs_rm", Errno.EINVAL, "cannot remove /");
        }
        Node parent = root;
        for (String s : parts.subList(0, parts.size() - 1)) {
            parent = parent.children.get(s);
            if (parent == null) {
                return false;
            }
        }
        if (parent.children.remove(parts.get(parts.size() - 1)) == null) {
            return false;
        }
        parent.gen = ++generation;
        return true;
    }

    // ---- direct operations -------------------------------------------------------------------------------------

    @Override
    public Optional<String> read(String path) {
        synchronized (lock) {
            Node n = find(root, path);
            return n == null ? Optional.empty() : Optional.of(n.value);
        }
    }

    @Override
    public void write(String path, String value) {
        synchronized (lock) {
            mutate(root, path, value, false);
        }
        fire(path);
    }

    @Override
    public void mkdir(String path) {
        boolean created;
        synchronized (lock) {
            created = find(root, path) == null;
            mutate(root, path, null, true);
        }
        if (created) {
            fire(path);
        }
    }

    @Override
    public void rm(String path) {
        boolean removed;
        synchronized (lock) {
            removed = remove(root, path);
        }
        if (removed) {
            fire(path);
        }
    }

    @Override
    public List<String> directory(String path) {
        synchronized (lock) {
            Node n = find(root, path);
            if (n == null) {
                throw new XenException("xs_directory", Errno.ENOENT, path);
            }
            return List.copyOf(n.children.keySet());
        }
    }

    // ---- watches -------------------------------------------------------------------------------------------------

    private final class Watch implements XenStoreWatch {
        final String path;
        final String token;
        final WatchListener listener;

        Watch(String path, String token, WatchListener listener) {
            this.path = path;
            this.token = token;
            this.listener = listener;
        }

        @Override
        public String path() {
            return path;
        }

        @Override
        public String token() {
            return token;
        }

        @Override
        public void close() {
            synchronized (lock) {
                watches.remove(this);
            }
        }

        boolean covers(String changed) {
            return changed.equals(path) || changed.startsWith(path + "/") || path.startsWith(changed + "/");
        }
    }

    @Override
    public XenStoreWatch watch(String path, String token, WatchListener listener) {
        if (!path.startsWith("@")) {
            split(path);
        }
        Watch w = new Watch(path, token, listener);
        synchronized (lock) {
            for (Watch other : watches) {
                if (other.path.equals(path) && other.token.equals(token)) {
                    throw new XenException("xs_watch", Errno.EEXIST, path + " with token " + token);
                }
            }
            watches.add(w);
        }
        submit(w, path);
        return w;
    }

    /** Fires every watch on {@code path}, its ancestors' watchers and, for a removed subtree, watches below it. */
    private void fire(String path) {
        List<Watch> hit = new ArrayList<>();
        synchronized (lock) {
            for (Watch w : watches) {
                if (w.covers(path)) {
                    hit.add(w);
                }
            }
        }
        for (Watch w : hit) {
            submit(w, path);
        }
    }

    /** Fires watches on a special path such as {@code @releaseDomain}. */
    public void fireSpecial(String special) {
        fire(special);
    }

    private void submit(Watch w, String path) {
        try {
            events.execute(() -> {
                boolean live;
                synchronized (lock) {
                    live = watches.contains(w);
                }
                if (live) {
                    try {
                        w.listener.onEvent(path, w.token);
                    } catch (RuntimeException e) {
                        System.getLogger(EmulatedXenStore.class.getName()).log(System.Logger.Level.WARNING,
                                "watch " + w.path + " (" + w.token + ") listener failed", e);
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // store shut down: no more events
        }
    }

    // ---- transactions --------------------------------------------------------------------------------------------

    @Override
    public XenStoreTransaction begin() {
        synchronized (lock) {
            return new Transaction(root.deepCopy());
        }
    }

    private final class Transaction implements XenStoreTransaction {
        private final Node snapshot;
        /** Paths touched, with the generation each had in the snapshot (-1 = absent). */
        private final Map<String, Long> touched = new HashMap<>();
        private final List<String[]> ops = new ArrayList<>();  // {kind, path, value}
        private boolean done;

        Transaction(Node snapshot) {
            this.snapshot = snapshot;
        }

        private void touch(String path) {
            touched.computeIfAbsent(path, p -> {
                Node n = find(snapshot, p);
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
            Node n = find(snapshot, path);
            return n == null ? Optional.empty() : Optional.of(n.value);
        }

        @Override
        public void write(String path, String value) {
            live();
            touch(path);
            synchronized (lock) {
                mutate(snapshot, path, value, false);
            }
            ops.add(new String[] {"w", path, value});
        }

        @Override
        public void mkdir(String path) {
            live();
            touch(path);
            synchronized (lock) {
                mutate(snapshot, path, null, true);
            }
            ops.add(new String[] {"m", path, null});
        }

        @Override
        public void rm(String path) {
            live();
            touch(path);
            synchronized (lock) {
                remove(snapshot, path);
            }
            ops.add(new String[] {"r", path, null});
        }

        @Override
        public List<String> directory(String path) {
            live();
            touch(path);
            Node n = find(snapshot, path);
            if (n == null) {
                throw new XenException("xs_directory", Errno.ENOENT, path);
            }
            return List.copyOf(n.children.keySet());
        }

        @Override
        public boolean commit() {
            live();
            done = true;
            synchronized (lock) {
                for (Map.Entry<String, Long> e : touched.entrySet()) {
                    Node now = find(root, e.getKey());
                    long gen = now == null ? -1L : now.gen;
                    if (gen != e.getValue()) {
                        return false;  // EAGAIN
                    }
                }
                for (String[] op : ops) {
                    switch (op[0]) {
                        case "w" -> mutate(root, op[1], op[2], false);
                        case "m" -> mutate(root, op[1], null, true);
                        default -> remove(root, op[1]);
                    }
                }
            }
            for (String[] op : ops) {
                fire(op[1]);
            }
            return true;
        }

        @Override
        public void abort() {
            done = true;
        }
    }

    @Override
    public void close() {
        events.shutdown();
        try {
            events.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
