package org.xenpostcopy.xen.xswire;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.xenpostcopy.xen.XenStore;

/**
 * Serves a {@link XenStore} on a unix socket in xenstored's wire protocol, as dom0's xenstored does on
 * {@code /var/run/xenstored/socket}: one thread per connection ({@link XsConnection}), replies echo {@code req_id}
 * and {@code tx_id}, errors are ERROR messages carrying the errno name, watch events arrive as WATCH_EVENT. The
 * connection is dom0's, so relative paths are under {@code /local/domain/0}.
 */
public final class XsWireServer implements AutoCloseable {
    private static final Logger LOG = System.getLogger(XsWireServer.class.getName());

    private final XenStore store;
    private final Path path;
    private final ServerSocketChannel server;
    private final Thread acceptor;
    private final Set<XsConnection> connections = ConcurrentHashMap.newKeySet();
    private final XsPermissions perms = new XsPermissions();
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
                XsConnection c = new XsConnection(server.accept(), store, perms, () -> closed, connections::remove);
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

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (XsConnection c : connections) {
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
