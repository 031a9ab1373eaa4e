package org.xenpostcopy.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay on loopback that stands for the network between two daemons, and breaks it on cue: after a given
 * number of bytes has crossed (in either direction, on any of its connections), it applies one {@link Fault} to the
 * connections it {@link Target targets}, for an outage of a given length; then the link heals. The fault is
 * chosen by the test (from a seed), not by timing, so a run names exactly what it did.
 *
 * <p>Connections are classed by the first call they carry (Thrift's binary protocol names it: {@code pushPages}
 * is a push connection, {@code heartbeat} a heartbeat one, {@code fetch} a demand one, {@code checkpointPages} a
 * checkpoint one, the rest control), so a
 * fault hits the same kind of connection whatever order they were opened in.
 */
final class FaultyLink implements AutoCloseable {
    /** What happens to the link. */
    enum Fault {
        /** Targeted connections are closed (FIN); new ones are accepted and closed at once until the outage ends. */
        DROP,
        /** As DROP, with a reset (RST) instead of an orderly close. */
        RESET,
        /** Nothing moves on targeted connections, and new ones hang, until the outage ends; nothing is closed. */
        BLACKHOLE,
        /** Targeted connections trickle (a few KiB/s) until the outage ends. */
        SLOW
    }

    /** Which connections the fault hits. */
    enum Target {
        ALL, CONTROL, PUSH, HEARTBEAT, DEMAND, CHECKPOINT;

        boolean hits(Role role) {
            return this == ALL || name().equals(role.name());
        }
    }

    /** A connection's job, by the first call it carries. */
    enum Role { CONTROL, PUSH, HEARTBEAT, DEMAND, CHECKPOINT }

    private static final int TRICKLE_BYTES_PER_SECOND = 4096;

    private final Fault fault;
    private final Target target;
    private final long triggerBytes;
    private final long outageNanos;
    private final AtomicLong relayed = new AtomicLong();
    private final AtomicBoolean fired = new AtomicBoolean();
    private volatile long outageEndsAt;
    private final List<Relay> relays = new CopyOnWriteArrayList<>();
    private final List<Pipe> pipes = new CopyOnWriteArrayList<>();

    /**
     * @param triggerBytes the fault strikes once this many bytes have crossed the link
     * @param outageMs     how long the fault lasts
     */
    FaultyLink(Fault fault, Target target, long triggerBytes, long outageMs) {
        this.fault = fault;
        this.target = target;
        this.triggerBytes = triggerBytes;
        this.outageNanos = TimeUnit.MILLISECONDS.toNanos(outageMs);
    }

    /** A relay to {@code upstream} whose connections are classed as source-to-destination ones. */
    InetSocketAddress toDestination(InetSocketAddress upstream) throws IOException {
        return start(new Relay(upstream, false));
    }

    /** A relay to {@code upstream} whose connections are demand connections (destination to source). */
    InetSocketAddress toSource(InetSocketAddress upstream) throws IOException {
        return start(new Relay(upstream, true));
    }

    private InetSocketAddress start(Relay r) {
        relays.add(r);
        r.start();
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), r.server.getLocalPort());
    }

    /** Ends the outage now (the link heals). */
    void heal() {
        outageEndsAt = System.nanoTime();
    }

    /** Whether the fault has struck. */
    boolean fired() {
        return fired.get();
    }

    @Override
    public void close() {
        for (Relay r : relays) {
            r.close();
        }
        for (Pipe p : pipes) {
            p.close();
        }
    }

    @Override
    public String toString() {
        return fault + " of " + target + " after " + triggerBytes + " bytes for "
                + TimeUnit.NANOSECONDS.toMillis(outageNanos) + " ms";
    }

    private boolean inOutage() {
        return fired.get() && System.nanoTime() < outageEndsAt;
    }

    /** Counts bytes; the call that crosses the trigger starts the outage and strikes the connections. */
    private void count(int n) {
        if (relayed.addAndGet(n) >= triggerBytes) {
            strikeNow();
        }
    }

    /**
     * Starts the outage now, whatever has crossed, unless it has started already: for a test that strikes on a
     * condition it waited for rather than at a byte count.
     */
    void strikeNow() {
        if (fired.compareAndSet(false, true)) {
            outageEndsAt = System.nanoTime() + outageNanos;
            if (fault == Fault.DROP || fault == Fault.RESET) {
                for (Pipe p : pipes) {
                    if (target.hits(p.role)) {
                        p.breakNow(fault == Fault.RESET);
                    }
                }
            }
        }
    }

    /** Blocks while a blackhole lasts; sleeps to trickle while a slowdown lasts. */
    private void hold(Pipe p, int n) throws InterruptedException {
        if (!target.hits(p.role)) {
            return;
        }
        while (fault == Fault.BLACKHOLE && inOutage() && !p.closed) {
            TimeUnit.MILLISECONDS.sleep(5);      // the fault itself: a link that moves nothing for a while
        }
        if (fault == Fault.SLOW && inOutage()) {
            TimeUnit.MICROSECONDS.sleep(1_000_000L * n / TRICKLE_BYTES_PER_SECOND);
        }
    }

    private final class Relay {
        final InetSocketAddress upstream;
        final boolean demand;
        final ServerSocket server;
        final Thread acceptor;

        Relay(InetSocketAddress upstream, boolean demand) {
            this.upstream = upstream;
            this.demand = demand;
            try {
                this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            this.acceptor = new Thread(this::accept, "faulty-link-accept");
            acceptor.setDaemon(true);
        }

        void start() {
            acceptor.start();
        }

        private void accept() {
            while (!server.isClosed()) {
                Socket in;
                try {
                    in = server.accept();
                } catch (IOException e) {
                    return;
                }
                // Not yet known: the first call names it (a demand relay carries nothing else).
                Role role = demand ? Role.DEMAND : Role.CONTROL;
                if ((fault == Fault.DROP || fault == Fault.RESET) && inOutage() && target == Target.ALL) {
                    closeQuietly(in, fault == Fault.RESET);     // the link is down: nothing gets through
                    continue;
                }
                try {
                    Socket out = new Socket();
                    out.connect(upstream, 5000);
                    Pipe p = new Pipe(role, in, out);
                    pipes.add(p);
                    p.start();
                } catch (IOException e) {
                    closeQuietly(in, false);
                }
            }
        }

        void close() {
            try {
                server.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    /** One relayed connection: a thread per direction. */
    private final class Pipe {
        volatile Role role;
        final Socket a;
        final Socket b;
        volatile boolean closed;

        Pipe(Role role, Socket a, Socket b) {
            this.role = role;
            this.a = a;
            this.b = b;
        }

        void start() {
            pump(a, b, "up");
            pump(b, a, "down");
        }

        private void pump(Socket from, Socket to, String dir) {
            boolean up = dir.equals("up");
            Thread t = new Thread(() -> {
                byte[] buf = new byte[16 * 1024];
                boolean first = up;
                try {
                    InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream();
                    while (!closed) {
                        // While a slowdown lasts, small reads: the trickle is paced per read.
                        int want = fault == Fault.SLOW && inOutage() && target.hits(role) ? 512 : buf.length;
                        int n = in.read(buf, 0, want);
                        if (n < 0) {
                            break;
                        }
                        if (first) {
                            first = false;
                            classify(buf, n);
                            if ((fault == Fault.DROP || fault == Fault.RESET) && inOutage() && target.hits(role)) {
                                breakNow(fault == Fault.RESET);      // opened during the outage: refused now
                                break;
                            }
                        }
                        hold(this, n);
                        if (closed) {
                            break;
                        }
                        out.write(buf, 0, n);
                        count(n);
                    }
                } catch (IOException | InterruptedException e) {
                    // the connection ended (or was broken on purpose)
                }
                close();
            }, "faulty-link-" + role + "-" + dir);
            t.setDaemon(true);
            t.start();
        }

        /** Names the connection by the method of its first call: i32 version|type, i32 length, the name. */
        private void classify(byte[] buf, int n) {
            if (n < 8) {
                return;
            }
            int len = ((buf[4] & 0xff) << 24) | ((buf[5] & 0xff) << 16) | ((buf[6] & 0xff) << 8) | (buf[7] & 0xff);
            if (len <= 0 || 8 + len > n) {
                return;
            }
            String method = new String(buf, 8, len, java.nio.charset.StandardCharsets.US_ASCII);
            if (method.endsWith(":pushPages")) {
                role = Role.PUSH;
            } else if (method.endsWith(":heartbeat")) {
                role = Role.HEARTBEAT;
            } else if (method.endsWith(":fetch")) {
                role = Role.DEMAND;
            } else if (method.endsWith(":checkpointPages") || method.endsWith(":checkpointCommit")) {
                role = Role.CHECKPOINT;
            }
        }

        void breakNow(boolean reset) {
            closed = true;
            closeQuietly(a, reset);
            closeQuietly(b, reset);
        }

        void close() {
            closed = true;
            closeQuietly(a, false);
            closeQuietly(b, false);
        }
    }

    private static void closeQuietly(Socket s, boolean reset) {
        try {
            if (reset) {
                s.setSoLinger(true, 0);
            }
            s.close();
        } catch (SocketException ignored) {
            // already closed
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
