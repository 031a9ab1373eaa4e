package org.xenpostcopy.xen.xswire;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import jdk.net.UnixDomainPrincipal;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import jdk.net.ExtendedSocketOptions;
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
 *
 * <p>Every connection acts as dom0, so only dom0's administrators may connect, as with xenstored's own socket: the
 * socket is made {@code 0600} before anyone can reach it (bound in a private directory, then moved into place),
 * and each accepted peer's user is read with {@code SO_PEERCRED} and let in only if it is root, the user this
 * process runs as (who could read its memory anyway), or one named in {@code allowedUsers}.
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

    private final Set<String> allowedUsers;

    /** Lets in root and this process's user. */
    public XsWireServer(XenStore store, Path path) throws IOException {
        this(store, path, Set.of());
    }

    /** @param allowedUsers users let in besides root and this process's own */
    public XsWireServer(XenStore store, Path path, Set<String> allowedUsers) throws IOException {
        this.store = store;
        this.path = path;
        Set<String> users = new java.util.HashSet<>(allowedUsers);
        users.add("root");
        users.add(System.getProperty("user.name"));
        this.allowedUsers = Set.copyOf(users);
        Files.deleteIfExists(path);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        bindPrivately(server, path);
        acceptor = new Thread(this::accept, "xenstored-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * Binds {@code server} to {@code path} with mode 0600 and no moment at which it is reachable with a wider one:
     * a socket's mode comes from the umask at bind, so it is bound inside a fresh 0700 directory next to
     * {@code path}, narrowed there, and then renamed into place.
     */
    private static void bindPrivately(ServerSocketChannel server, Path path) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        Path dir = Files.createTempDirectory(parent, ".xs-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try {
            Path staged = dir.resolve("s");
            server.bind(UnixDomainSocketAddress.of(staged));
            Files.setPosixFilePermissions(staged, PosixFilePermissions.fromString("rw-------"));
            Files.move(staged, path, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(dir.resolve("s"));
            Files.deleteIfExists(dir);
        }
    }

    public Path path() {
        return path;
    }

    /** Whether a peer running as {@code user} may use this xenstore. */
    boolean allows(String user) {
        return allowedUsers.contains(user);
    }

    private void accept() {
        while (!closed) {
            try {
                SocketChannel ch = server.accept();
                String user = peerUser(ch);
                if (user == null || !allows(user)) {
                    LOG.log(Level.WARNING, "xenstore socket {0}: refused a connection from user {1} (allowed: {2})",
                            path, user == null ? "unknown" : user, allowedUsers);
                    ch.close();
                    continue;
                }
                XsConnection c = new XsConnection(ch, store, perms, () -> closed, connections::remove);
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

    /** The user of the process at the other end ({@code SO_PEERCRED}), or null if the kernel will not say. */
    private static String peerUser(SocketChannel ch) {
        try {
            UnixDomainPrincipal who = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
            return who.user().getName();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
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
