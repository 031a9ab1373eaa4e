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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP relay to one target that looks at every byte crossing it, both ways: how many there were, and
 * whether a given byte pattern was among them (found across read boundaries too). What an eavesdropper on the
 * link between two daemons would see.
 */
final class RecordingRelay implements AutoCloseable {
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final byte[] pattern;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicBoolean patternSeen = new AtomicBoolean();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    RecordingRelay(InetSocketAddress target, byte[] pattern) throws IOException {
        this.target = target;
        this.pattern = pattern.clone();
        server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::acceptLoop, "relay-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", server.getLocalPort());
    }

    long bytesRelayed() {
        return bytes.get();
    }

    boolean sawPattern() {
        return patternSeen.get();
    }

    private void acceptLoop() {
        try {
            while (true) {
                Socket in = server.accept();
                Socket out = new Socket(target.getAddress(), target.getPort());
                sockets.add(in);
                sockets.add(out);
                pump(in, out);
                pump(out, in);
            }
        } catch (IOException e) {
            // closed
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64 << 10];
            // The last pattern.length - 1 bytes of the previous read, so a pattern split across reads is found.
            byte[] window = new byte[buf.length + pattern.length - 1];
            int carried = 0;
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    System.arraycopy(buf, 0, window, carried, n);
                    int len = carried + n;
                    if (contains(window, len)) {
                        patternSeen.set(true);
                    }
                    carried = Math.min(pattern.length - 1, len);
                    System.arraycopy(window, len - carried, window, 0, carried);
                    bytes.addAndGet(n);
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                // one side closed: the other is closed by the try
            }
        }, "relay-pump");
        t.setDaemon(true);
        t.start();
    }

    private boolean contains(byte[] data, int len) {
        outer:
        for (int i = 0; i + pattern.length <= len; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
