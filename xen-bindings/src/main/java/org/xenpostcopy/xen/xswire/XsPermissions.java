package org.xenpostcopy.xen.xswire;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xenpostcopy.xen.XenStoreOps;

/**
 * Node permissions, as xenstored keeps them: "n0" (owner dom0, nobody else) at the root; a new node takes its
 * parent's at creation. Every connection of {@link XsWireServer} is dom0's, which xenstored never denies, so they
 * are stored and reported, not enforced.
 */
final class XsPermissions {
    private final Map<String, List<String>> perms = new ConcurrentHashMap<>();

    /** "n0", "r5", "w12", "b3": a mode letter and a domain id. */
    static boolean valid(String p) {
        return p.length() >= 2 && "nrwb".indexOf(p.charAt(0)) >= 0 && p.substring(1).chars().allMatch(Character::isDigit)
                && p.length() <= 6;
    }

    void set(String path, List<String> wanted) {
        perms.put(path, List.copyOf(wanted));
    }

    /** The node's own permissions, else its nearest ancestor's, else the root's. */
    List<String> effective(String path) {
        for (String p = path; ; p = p.substring(0, p.lastIndexOf('/'))) {
            List<String> own = perms.get(p);
            if (own != null) {
                return own;
            }
            if (p.lastIndexOf('/') <= 0) {
                return List.of("n0");
            }
        }
    }

    /** The node {@code path} and everything below it were removed. */
    void removeSubtree(String path) {
        perms.keySet().removeIf(k -> k.equals(path) || k.startsWith(path + "/"));
    }

    /** The outermost ancestor of {@code path} (or itself) that does not exist yet, or null. */
    static String firstMissing(XenStoreOps ops, String path) {
        String missing = null;
        for (String p = path; p.lastIndexOf('/') > 0 || (p.length() > 1 && p.startsWith("/")); ) {
            if (ops.read(p).isPresent()) {
                break;
            }
            missing = p;
            int slash = p.lastIndexOf('/');
            if (slash <= 0) {
                break;
            }
            p = p.substring(0, slash);
        }
        return missing;
    }

    /** Nodes from {@code created} down to {@code path} were just made: each takes its parent's permissions. */
    void inherit(String created, String path) {
        if (created == null) {
            return;
        }
        String parent = created.lastIndexOf('/') > 0 ? created.substring(0, created.lastIndexOf('/')) : "/";
        List<String> from = parent.equals("/") ? List.of("n0") : effective(parent);
        for (String p = path; p.length() >= created.length(); p = p.substring(0, Math.max(1, p.lastIndexOf('/')))) {
            perms.putIfAbsent(p, from);
            if (p.equals(created)) {
                break;
            }
        }
    }
}
