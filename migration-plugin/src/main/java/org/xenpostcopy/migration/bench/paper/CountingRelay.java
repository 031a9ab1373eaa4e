package org.xenpostcopy.migration.bench.paper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * A TCP relay on loopback that counts the bytes it carries each way, as they leave one socket and enter the other:
 * what the migration puts on the wire (TLS records and Thrift framing included, TCP/IP headers not, as the
 * engine's own {@code WireBytes} counts), readable at any instant while the migration runs. The engine's counter
 * is private to the running migration and only reaches its report at the end; a bandwidth-over-time plot needs
 * it sampled, so the bench puts one of these in front of each host.
 */
final class CountingRelay implements AutoCloseable {
    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Thread acceptor;
    private final LongAdder forward = new LongAdder();
    private final LongAdder back = new LongAdder();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    /** Listens on a free loopback port; every connection accepted is joined to a new connection to {@code target}. */
    CountingRelay(String name, InetSocketAddress target) {
        this.target = target;
        try {
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a relay port", e);
        }
        this.acceptor = new Thread(this::acceptLoop, "relay-" + name);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    /** Bytes that went from the connecting side to the target, so far. */
    long forward() {
        return forward.sum();
    }

    /** Bytes that came back from the target. */
    long back() {
        return back.sum();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket in = server.accept();
                Socket out = new Socket(target.getAddress(), target.getPort());
                in.setTcpNoDelay(true);
                out.setTcpNoDelay(true);
                open.add(in);
                open.add(out);
                pump(in, out, forward, "fwd");
                pump(out, in, back, "back");
            } catch (IOException e) {
                if (!closed) {
                    System.getLogger(CountingRelay.class.getName()).log(System.Logger.Level.WARNING,
                            "relay: a connection failed: " + e.getMessage());
                }
            }
        }
    }

    private void pump(Socket from, Socket to, LongAdder counter, String dir) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[1 << 16];
            try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
                int n;
                while ((n = i.read(buf)) >= 0) {
                    o.write(buf, 0, n);
                    counter.add(n);
                }
            } catch (IOException e) {
                // one side closed: the other half goes with it below
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, acceptor.getName() + "-" + dir);
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already gone
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        open.forEach(CountingRelay::closeQuietly);
    }
}
