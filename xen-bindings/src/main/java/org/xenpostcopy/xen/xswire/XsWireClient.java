package org.xenpostcopy.xen.xswire;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStore;
import org.xenpostcopy.xen.XenStoreTransaction;
import org.xenpostcopy.xen.XenStoreWatch;

/**
 * A pure-Java xenstore client over xenstored's unix socket ({@code $XENSTORED_PATH}, else
 * {@code /var/run/xenstored/socket}), so the plug-in needs no libxenstore. One request at a time; a reader thread
 * takes replies and watch events apart; watch listeners run on their own thread, in order.
 */
public final class XsWireClient implements XenStore, AutoCloseable {
    public static final Path DEFAULT_SOCKET = Path.of("/var/run/xenstored/socket");
    private static final long TIMEOUT_SECONDS = 30;

    private final SocketChannel channel;
    private final Thread reader;
    private final SynchronousQueue<Object> replies = new SynchronousQueue<>();
    private final Map<String, WatchListener> watches = new ConcurrentHashMap<>();   // key: path \0 token
    private final ExecutorService events = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "xenstore-watch-events");
        t.setDaemon(true);
        return t;
    });
    private int nextReq = 1;
    private volatile boolean closed;

    private XsWireClient(SocketChannel channel) {
        this.channel = channel;
        this.reader = new Thread(this::read, "xenstore-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Connects to {@code $XENSTORED_PATH}, else the standard socket. */
    public static XsWireClient connect() {
        String env = System.getenv("XENSTORED_PATH");
        return connect(env != null ? Path.of(env) : DEFAULT_SOCKET);
    }

    public static XsWireClient connect(Path socket) {
        try {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
            return new XsWireClient(ch);
        } catch (IOException e) {
            throw new XenException("xs_open", Errno.ENOENT, "no xenstored at " + socket + ": " + e.getMessage());
        }
    }

    private void read() {
        try {
            while (!closed) {
                XsMessage m = XsMessage.readFrom(channel);
                if (m.kind() == XsType.WATCH_EVENT) {
                    List<String> p = m.parts();
                    if (p.size() >= 2) {
                        WatchListener l = watchFor(p.get(1));
                        if (l != null) {
                            events.execute(() -> l.onEvent(p.get(0), p.get(1)));
                        }
                    }
                    continue;
                }
                replies.put(m);
            }
        } catch (EOFException e) {
            offerFailure("xenstored closed the connection");
        } catch (IOException e) {
            offerFailure(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void offerFailure(String why) {
        if (!closed) {
            replies.offer(new XenException("xenstore", Errno.EIO, why));
        }
    }

    private WatchListener watchFor(String token) {
        for (Map.Entry<String, WatchListener> e : watches.entrySet()) {
            if (e.getKey().endsWith("\0" + token)) {
                return e.getValue();
            }
        }
        return null;
    }

    /** Sends one request and returns its reply; an ERROR reply becomes a XenException with the errno. */
    synchronized XsMessage call(XsType type, int txId, byte[] payload, String what) {
        if (closed) {
            throw new XenException(what, Errno.EIO, "xenstore connection closed");
        }
        int req = nextReq++;
        try {
            new XsMessage(type.code(), req, txId, payload).writeTo(channel);
            Object r = replies.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (r == null) {
                throw new XenException(what, Errno.ETIMEDOUT, "xenstored did not answer in " + TIMEOUT_SECONDS + " s");
            }
            if (r instanceof XenException e) {
                throw e;
            }
            XsMessage m = (XsMessage) r;
            if (m.reqId() != req) {
                throw new XenException(what, Errno.EIO, "reply to request " + m.reqId() + " while waiting for " + req);
            }
            if (m.kind() == XsType.ERROR) {
                String name = m.parts().isEmpty() ? "" : m.parts().get(0);
                Errno errno = Errno.fromName(name);
                throw new XenException(what, errno == null ? Errno.EINVAL : errno, new String(payload,
                        java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' ').trim() + (errno == null ? " (" + name + ")" : ""));
            }
            return m;
        } catch (IOException e) {
            throw new XenException(what, Errno.EIO, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new XenException(what, Errno.EINTR, "interrupted");
        }
    }

    private final XsWireOps direct = new XsWireOps(this, 0);

    @Override
    public Optional<String> read(String path) {
        return direct.read(path);
    }

    @Override
    public void write(String path, String value) {
        direct.write(path, value);
    }

    @Override
    public void mkdir(String path) {
        direct.mkdir(path);
    }

    @Override
    public void rm(String path) {
        direct.rm(path);
    }

    @Override
    public List<String> directory(String path) {
        return direct.directory(path);
    }

    @Override
    public XenStoreTransaction begin() {
        int id = Integer.parseInt(call(XsType.TRANSACTION_START, 0, XsMessage.join(true, ""), "xs_transaction_start")
                .parts().get(0));
        return new XsWireTransaction(this, id);
    }

    @Override
    public XenStoreWatch watch(String path, String token, WatchListener listener) {
        String key = path + "\0" + token;
        watches.put(key, listener);
        try {
            call(XsType.WATCH, 0, XsMessage.join(true, path, token), "xs_watch");
        } catch (XenException e) {
            watches.remove(key);
            throw e;
        }
        return new XenStoreWatch() {
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
                if (watches.remove(key) != null && !closed) {
                    call(XsType.UNWATCH, 0, XsMessage.join(true, path, token), "xs_unwatch");
                }
            }
        };
    }

    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        events.shutdown();
    }
}