package org.xenpostcopy.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A loopback TCP relay to one target: each connection it accepts is joined to a new one to the target, and the bytes
 * of each direction pass a {@link Tap} of their own on the way, which may look at them or change them.
 */
final class LoopbackRelay implements AutoCloseable {
    /** What one direction of one relayed connection does with the bytes that cross it. */
    @FunctionalInterface
    interface Tap {
        /**
         * @param bytes     the bytes read, {@code [0, n)}; they go on as the tap leaves them
         * @param streamPos where {@code bytes[0]} lies in this direction's stream
         */
        void cross(byte[] bytes, int n, long streamPos);
    }

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final String name;
    private final Function<Boolean, Tap> taps;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    /**
     * @param name  its threads' names start so
     * @param taps  a new tap for each direction of each connection, given whether it runs towards the target
     */
    LoopbackRelay(String name, InetSocketAddress target, Function<Boolean, Tap> taps) throws IOException {
        this.name = name;
        this.target = target;
        this.taps = taps;
        server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, name + "-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", server.getLocalPort());
    }

    private void acceptLoop() {
        try {
            while (true) {
                Socket in = server.accept();
                Socket out = new Socket(target.getAddress(), target.getPort());
                sockets.add(in);
                sockets.add(out);
                pump(in, out, taps.apply(true));
                pump(out, in, taps.apply(false));
            }
        } catch (IOException e) {
            // closed
        }
    }

    private void pump(Socket from, Socket to, Tap tap) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64 << 10];
            long streamPos = 0;
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    tap.cross(buf, n, streamPos);
                    streamPos += n;
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                // one side closed: the other is closed by the try
            }
        }, name + "-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
