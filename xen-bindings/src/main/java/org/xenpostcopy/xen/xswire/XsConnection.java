package org.xenpostcopy.xen.xswire;

import java.io.EOFException;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStore;
import org.xenpostcopy.xen.XenStoreOps;
import org.xenpostcopy.xen.XenStoreTransaction;
import org.xenpostcopy.xen.XenStoreWatch;

/**
 * One client connection of {@link XsWireServer}, on its own thread: it reads requests, answers each (replies echo
 * {@code req_id} and {@code tx_id}; errors are ERROR messages carrying the errno name), and owns the transactions
 * and watches the client opened, which end with the connection. The connection is dom0's, so relative paths are
 * under {@code /local/domain/0}.
 */
final class XsConnection {
    private static final Logger LOG = System.getLogger(XsWireServer.class.getName());
    private static final String HOME = "/local/domain/0/";

    final SocketChannel channel;
    final Thread thread;
    private final XenStore store;
    private final XsPermissions perms;
    private final BooleanSupplier serverClosed;
    private final Consumer<XsConnection> onEnd;
    private final Map<Integer, XenStoreTransaction> transactions = new HashMap<>();
    private final Map<String, XenStoreWatch> watches = new HashMap<>();   // key: path \0 token
    private int nextTx = 1;

    /** {@code onEnd} gets the connection when it ends; {@link #thread} is not started yet. */
    XsConnection(SocketChannel channel, XenStore store, XsPermissions perms, BooleanSupplier serverClosed,
                 Consumer<XsConnection> onEnd) {
        this.channel = channel;
        this.store = store;
        this.perms = perms;
        this.serverClosed = serverClosed;
        this.onEnd = onEnd;
        this.thread = new Thread(this::serve, "xenstored-conn");
        thread.setDaemon(true);
    }

    private void serve() {
        try (channel) {
            while (!serverClosed.getAsBoolean()) {
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
            if (!serverClosed.getAsBoolean()) {
                LOG.log(Level.DEBUG, "xenstore connection dropped: {0}", e.getMessage());
            }
        } finally {
            watches.values().forEach(XenStoreWatch::close);
            transactions.values().forEach(XenStoreTransaction::abort);
            onEnd.accept(this);
        }
    }

    private void send(XsMessage m) {
        synchronized (channel) {
            try {
                m.writeTo(channel);
            } catch (IOException e) {
                // the reader sees the closed channel and cleans up
            }
        }
    }

    private XsMessage handle(XsMessage m) {
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
                String created = XsPermissions.firstMissing(ops, path);
                ops.write(path, value);
                perms.inherit(created, path);
                return ok(m);
            }
            case MKDIR -> {
                String path = abs(arg(parts, 0));
                String created = XsPermissions.firstMissing(ops, path);
                ops.mkdir(path);
                perms.inherit(created, path);
                return ok(m);
            }
            case RM -> {
                String p = abs(arg(parts, 0));
                if (ops.read(p).isEmpty()) {
                    String parent = p.substring(0, Math.max(1, p.lastIndexOf('/')));
                    return parent.equals("/") || ops.read(parent).isPresent() ? ok(m) : error(m, Errno.ENOENT);
                }
                ops.rm(p);
                perms.removeSubtree(p);
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
                return reply(m, XsMessage.join(true, perms.effective(path).toArray(new String[0])));
            }
            case SET_PERMS -> {
                String path = abs(arg(parts, 0));
                List<String> wanted = parts.subList(1, parts.size());
                if (wanted.isEmpty() || !wanted.stream().allMatch(XsPermissions::valid)) {
                    return error(m, Errno.EINVAL);
                }
                if (ops.read(path).isEmpty()) {
                    return error(m, Errno.ENOENT);
                }
                perms.set(path, wanted);
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
}
