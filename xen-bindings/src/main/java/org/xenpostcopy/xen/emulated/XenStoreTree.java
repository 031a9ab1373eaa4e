package org.xenpostcopy.xen.emulated;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.XenException;

/**
 * xenstored's node tree. Every change takes a new generation from one counter, shared with the snapshots that
 * transactions change, so a commit can tell whether a node changed since its transaction first saw it. Not
 * synchronised: callers hold this tree's monitor.
 */
final class XenStoreTree {
    static final int MAX_PATH = 3072;       // XENSTORE_ABS_PATH_MAX
    static final int MAX_VALUE = 4096;      // XENSTORE_PAYLOAD_MAX

    private final Node root = new Node(0);
    private long generation;

    /** A node: value, children, and the generation of its last change (value or child list). */
    static final class Node {
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

    /** The live tree (transactions work on a {@link Node#deepCopy} of it). */
    Node root() {
        return root;
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

    static Node find(Node root, String path) {
        Node n = root;
        for (String s : split(path)) {
            n = n.children.get(s);
            if (n == null) {
                return null;
            }
        }
        return n;
    }

    /** Writes (or with {@code mkdirOnly}, creates) a node under {@code root}, creating parents. */
    void mutate(Node root, String path, String value, boolean mkdirOnly) {
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

    boolean remove(Node root, String path) {
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
}
