package org.xenpostcopy.xen.xswire;

import java.io.EOFException;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStore;
import org.xenpostcopy.xen.XenStoreOps;
import org.xenpostcopy.xen.XenStoreTransaction;
import org.xenpostcopy.xen.XenStoreWatch;

/**
 * Serves a {@link XenStore} on a unix socket in xenstored's wire protocol, as dom0's xenstored does on
 * {@code /var/run/xenstored/socket}: one thread per connection, replies echo {@code req_id} and {@code tx_id},
 * errors are ERROR messages carrying the errno name, watch events arrive as WATCH_EVENT. The connection is dom0's,
 * so relative paths are under {@code /local/domain/0}.
 */
public final class XsWireServer implements AutoCloseable {
    private static final Logger LOG = System.getLogger(XsWireServer.class.getName());
    private static final String HOME = "/local/domain/0/";

    private final XenStore store;
    private final Path path;
    private final ServerSocketChannel server;
    private final Thread acceptor;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    /**
     * Node permissions, as xenstored keeps them: "n0" (owner dom0, nobody else) at the root; a new node takes its
     * parent's at creation. Every connection here is dom0's, which xenstored never denies, so they are stored and
     * reported, not enforced.
     */
    private final Map<String, List<String>> perms = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public XsWireServer(XenStore store, Path path) throws IOException {
        this.store = store;
        this.path = path;
        Files.deleteIfExists(path);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        acceptor = new Thread(this::accept, "xenstored-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public Path path() {
        return path;
    }

    private void accept() {
        while (!closed) {
            try {
                Connection c = new Connection(server.accept());
                connections.add(c);
                c.thread.start();
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(Level.WARNING, "xenstore socket {0}: accept failed: {1}", path, e.getMessage());
                }
                return;
            }
        }
    }

    private final class Connection {
        final SocketChannel channel;
        final Thread thread;
        final Map<Integer, XenStoreTransaction> transactions = new HashMap<>();
        final Map<String, XenStoreWatch> watches = new HashMap<>();   // key: path \0 token
        int nextTx = 1;

        Connection(SocketChannel channel) {
            this.channel = channel;
            this.thread = new Thread(this::serve, "xenstored-conn");
            thread.setDaemon(true);
        }

        void serve() {
            try (channel) {
                while (!closed) {
                    XsMessage m = XsMessage.readFrom(channel);
                    XsMessage reply;
                    try {
                        reply = handle(m);
                    } catch (XenException e) {
                        reply = error(m, e.errno().orElse(Errno.EINVAL));
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "xenstore request failed", e);
                        reply = error(m, Errno.EINVAL);
                    }
                    if (reply != null) {
                        send(reply);
                    }
                }
            } catch (EOFException e) {
                // client went away
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(Level.DEBUG, "xenstore connection dropped: {0}", e.getMessage());
                }
            } finally {
                watches.values().forEach(XenStoreWatch::close);
                transactions.values().forEach(XenStoreTransaction::abort);
                connections.remove(this);
            }
        }

        void send(XsMessage m) {
            synchronized (channel) {
                try {
                    m.writeTo(channel);
                } catch (IOException e) {
                    // the reader sees the closed channel and cleans up
                }
            }
        }

        XsMessage handle(XsMessage m) {
            XsType type = m.kind();
            if (type == null) {
                return error(m, Errno.EINVAL);
            }
            List<String> parts = m.parts();
            XenStoreOps ops = store;
            if (m.txId() != 0) {
                ops = transactions.get(m.txId());
                if (ops == null) {
                    return error(m, Errno.ENOENT);
                }
            }
            switch (type) {
                case READ -> {
                    Optional<String> v = ops.read(abs(arg(parts, 0)));
                    return v.map(s -> reply(m, s.getBytes(StandardCharsets.UTF_8))).orElseGet(() -> error(m, Errno.ENOENT));
                }
                case WRITE -> {
                    int nul = indexOfNul(m.payload());
                    if (nul < 0) {
                        return error(m, Errno.EINVAL);
                    }
                    String p = new String(m.payload(), 0, nul, StandardCharsets.UTF_8);
                    String value = new String(m.payload(), nul + 1, m.payload().length - nul - 1, StandardCharsets.UTF_8);
                    String path = abs(p);
                    String created = firstMissing(ops, path);
                    ops.write(path, value);
                    inherit(created, path);
                    return ok(m);
                }
                case MKDIR -> {
                    String path = abs(arg(parts, 0));
                    String created = firstMissing(ops, path);
                    ops.mkdir(path);
                    inherit(created, path);
                    return ok(m);
                }
                case RM -> {
                    String p = abs(arg(parts, 0));
                    if (ops.read(p).isEmpty()) {
                        String parent = p.substring(0, Math.max(1, p.lastIndexOf('/')));
                        return parent.equals("/") || ops.read(parent).isPresent() ? ok(m) : error(m, Errno.ENOENT);
                    }
                    ops.rm(p);
                    perms.keySet().removeIf(k -> k.equals(p) || k.startsWith(p + "/"));
                    return ok(m);
                }
                case DIRECTORY -> {
                    List<String> names = ops.directory(abs(arg(parts, 0)));
                    return reply(m, names.isEmpty() ? new byte[0] : XsMessage.join(true, names.toArray(new String[0])));
                }
                case GET_PERMS -> {
                    String path = abs(arg(parts, 0));
                    if (ops.read(path).isEmpty()) {
                        return error(m, Errno.ENOENT);
                    }
                    return reply(m, XsMessage.join(true, effectivePerms(path).toArray(new String[0])));
                }
                case SET_PERMS -> {
                    String path = abs(arg(parts, 0));
                    List<String> wanted = parts.subList(1, parts.size());
                    if (wanted.isEmpty() || !wanted.stream().allMatch(XsWireServer::validPerm)) {
                        return error(m, Errno.EINVAL);
                    }
                    if (ops.read(path).isEmpty()) {
                        return error(m, Errno.ENOENT);
                    }
                    perms.put(path, List.copyOf(wanted));
                    return ok(m);
                }
                case WATCH -> {
                    String wpath = arg(parts, 0);
                    String token = arg(parts, 1);
                    String key = wpath + "\0" + token;
                    if (watches.containsKey(key)) {
                        return error(m, Errno.EEXIST);
                    }
                    boolean relative = !wpath.startsWith("/") && !wpath.startsWith("@");
                    // Registered before the reply (no change after it can be missed) while holding the send lock, so
                    // the registration event, delivered on the store's thread, still goes out after the reply.
                    synchronized (channel) {
                        watches.put(key, store.watch(wpath.startsWith("@") ? wpath : abs(wpath), token, (p, t) -> {
                            String shown = relative && p.startsWith(HOME) ? p.substring(HOME.length()) : p;
                            send(new XsMessage(XsType.WATCH_EVENT.code(), 0, 0, XsMessage.join(true, shown, t)));
                        }));
                        send(ok(m));
                    }
                    return null;
                }
                case UNWATCH -> {
                    XenStoreWatch w = watches.remove(arg(parts, 0) + "\0" + arg(parts, 1));
                    if (w == null) {
                        return error(m, Errno.ENOENT);
                    }
                    w.close();
                    return ok(m);
                }
                case RESET_WATCHES -> {
                    watches.values().forEach(XenStoreWatch::close);
                    watches.clear();
                    return ok(m);
                }
                case TRANSACTION_START -> {
                    if (m.txId() != 0) {
                        return error(m, Errno.EBUSY);
                    }
                    int id = nextTx++;
                    transactions.put(id, store.begin());
                    return reply(m, XsMessage.join(true, Integer.toString(id)));
                }
                case TRANSACTION_END -> {
                    XenStoreTransaction tx = transactions.remove(m.txId());
                    if (tx == null) {
                        return error(m, Errno.ENOENT);
                    }
                    if ("T".equals(arg(parts, 0))) {
                        return tx.commit() ? ok(m) : error(m, Errno.EAGAIN);
                    }
                    tx.abort();
                    return ok(m);
                }
                case GET_DOMAIN_PATH -> {
                    return reply(m, XsMessage.join(true, "/local/domain/" + Integer.parseInt(arg(parts, 0))));
                }
                case IS_DOMAIN_INTRODUCED -> {
                    String id = arg(parts, 0);
                    boolean known = store.read("/local/domain/" + Integer.parseInt(id)).isPresent();
                    return reply(m, XsMessage.join(true, known ? "T" : "F"));
                }
                default -> {
                    // introduce/release/resume/set-target/control: the emulated host manages its domains itself
                    return error(m, Errno.EACCES);
                }
            }
        }
    }

    /** "n0", "r5", "w12", "b3": a mode letter and a domain id. */
    private static boolean validPerm(String p) {
        return p.length() >= 2 && "nrwb".indexOf(p.charAt(0)) >= 0 && p.substring(1).chars().allMatch(Character::isDigit)
                && p.length() <= 6;
    }

    private List<String> effectivePerms(String path) {
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

    /** The outermost ancestor of {@code path} (or itself) that does not exist yet, or null. */
    private static String firstMissing(XenStoreOps ops, String path) {
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
    private void inherit(String created, String path) {
        if (created == null) {
            return;
        }
        String parent = created.lastIndexOf('/') > 0 ? created.substring(0, created.lastIndexOf('/')) : "/";
        List<String> from = parent.equals("/") ? List.of("n0") : effectivePerms(parent);
        for (String p = path; p.length() >= created.length(); p = p.substring(0, Math.max(1, p.lastIndexOf('/')))) {
            perms.putIfAbsent(p, from);
            if (p.equals(created)) {
                break;
            }
        }
    }

    private static String arg(List<String> parts, int i) {
        if (i >= parts.size()) {
            throw new XenException("xenstore", Errno.EINVAL, "request has " + parts.size() + " arguments, needs " + (i + 1));
        }
        return parts.get(i);
    }

    private static int indexOfNul(byte[] b) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    /** dom0's relative paths are under /local/domain/0. */
    private static String abs(String p) {
        return p.startsWith("/") ? p : HOME + p;
    }

    private static XsMessage reply(XsMessage req, byte[] payload) {
        return new XsMessage(req.type(), req.reqId(), req.txId(), payload);
    }

    private static XsMessage ok(XsMessage req) {
        return reply(req, XsMessage.join(true, "OK"));
    }

    private static XsMessage error(XsMessage req, Errno e) {
        return new XsMessage(XsType.ERROR.code(), req.reqId(), req.txId(), XsMessage.join(true, e.name()));
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Connection c : connections) {
            try {
                c.channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // a stale socket file is replaced on the next start
        }
    }
}
