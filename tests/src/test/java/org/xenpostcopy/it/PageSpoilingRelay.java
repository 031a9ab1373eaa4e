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
 * A loopback TCP relay to one target that spoils one page on its way: the first time the bytes a page starts with
 * (its {@code needle}) cross towards the target, one bit {@link #SPOIL_AT} bytes further on is flipped. Frames and
 * lengths stay intact, so the receiver's books add up; only a check of the page's contents can tell.
 */
final class PageSpoilingRelay implements AutoCloseable {
    /** Inside the page, past the needle, so the needle itself arrives as sent. */
    static final int SPOIL_AT = 1000;

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final byte[] needle;
    private final AtomicLong spoiled;
    private final AtomicBoolean done = new AtomicBoolean();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    /** @param spoiled counts the pages spoiled (never more than one) */
    PageSpoilingRelay(InetSocketAddress target, byte[] needle, AtomicLong spoiled) throws IOException {
        this.target = target;
        this.needle = needle.clone();
        this.spoiled = spoiled;
        server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "spoiling-relay-accept");
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
                pump(in, out, true);
                pump(out, in, false);
            }
        } catch (IOException e) {
            // closed
        }
    }

    private void pump(Socket from, Socket to, boolean towardsTarget) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64 << 10];
            byte[] window = new byte[buf.length + needle.length - 1];
            int carried = 0;
            long streamPos = 0;          // offset in the stream of buf[0]
            long flipAt = -1;            // stream offset of the byte to spoil, once the needle was seen
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    if (towardsTarget && !done.get()) {
                        System.arraycopy(buf, 0, window, carried, n);
                        int len = carried + n;
                        int at = indexOf(window, len);
                        if (at >= 0 && flipAt < 0) {
                            flipAt = streamPos - carried + at + SPOIL_AT;
                        }
                        carried = Math.min(needle.length - 1, len);
                        System.arraycopy(window, len - carried, window, 0, carried);
                    }
                    if (flipAt >= streamPos && flipAt < streamPos + n && done.compareAndSet(false, true)) {
                        buf[(int) (flipAt - streamPos)] ^= 0x01;
                        spoiled.incrementAndGet();
                    }
                    streamPos += n;
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                // one side closed: the other is closed by the try
            }
        }, "spoiling-relay-pump");
        t.setDaemon(true);
        t.start();
    }

    private int indexOf(byte[] data, int len) {
        outer:
        for (int i = 0; i + needle.length <= len; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (data[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
