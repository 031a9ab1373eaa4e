package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TField;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.protocol.TStruct;
import org.apache.thrift.protocol.TType;
import org.apache.thrift.transport.TMemoryBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xenpostcopy.balloon.BalloonPolicy;
import org.xenpostcopy.migration.cli.Xlpc;
import org.xenpostcopy.migration.daemon.HostAgent;
import org.xenpostcopy.migration.protocol.ServerLimits;
import org.xenpostcopy.migration.source.SessionJournal;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;

/**
 * 300 connections from one peer, each announcing a push of the largest size a field may have (16 MiB) and then
 * sending nothing more. The daemon admits its per-peer share and closes the rest at once; {@code xlpc list} from
 * another address still answers; what the stalled requests cost the daemon stays bounded (nothing is allocated for
 * an announced size before its bytes come); and every stalled socket is closed once its request has paused longer
 * than the stall limit.
 */
class StalledConnectionsTest {
    private static final int CONNECTIONS = 300;
    private static final int ANNOUNCED = 16 << 20;
    /** Without the limits each admitted connection would hold ANNOUNCED bytes: 64 of them, a gigabyte. */
    private static final long BOUND = 64L << 20;

    @Test
    @Timeout(300)
    void stalledAnnouncementsNeitherStopListNorHoldMemoryAndAreClosedAfterTheStallLimit() throws Exception {
        ServerLimits limits = ServerLimits.defaults().withTimeouts(ServerLimits.DEFAULT_HANDSHAKE, ServerLimits.DEFAULT_IDLE,
                Duration.ofSeconds(3));
        try (EmulatedXenHost host = new EmulatedXenHost("stall");
             HostAgent agent = new HostAgent(host, new InetSocketAddress("127.0.0.1", 0), BalloonPolicy.defaults(), "",
                     ChannelSecurity.plain(), SessionJournal.none(), limits)) {
            host.domains().create(DomainConfig.ofMiB("vm-stall", 16, "idle", 1), false);
            String daemon = agent.address().getHostString() + ":" + agent.address().getPort();
            assertEquals(0, list(daemon, new StringWriter()), "list answers before");
            MemoryInUse before = MemoryInUse.now();

            byte[] announcement = hugePushAnnounced();
            List<SocketChannel> stalled = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                SocketChannel ch = SocketChannel.open();
                ch.bind(new InetSocketAddress("127.0.0.2", 0));   // the flood's own address: list comes from .1
                ch.connect(agent.address());
                try {
                    ch.write(ByteBuffer.wrap(announcement));
                } catch (IOException closedAtOnce) {
                    // over the peer's share: the daemon closed it before the announcement went
                }
                stalled.add(ch);
            }

            // (xlpc list prints its table on the process's stdout; exit 0 is its answer having come)
            assertEquals(0, list(daemon, new StringWriter()), "list answers while " + CONNECTIONS + " requests stall");
            MemoryInUse grown = MemoryInUse.now().minus(before);
            long heap = grown.heap();
            long direct = grown.direct();
            System.out.printf(Locale.ROOT, "stalled connections: %d announcing %d MiB each; daemon heap %+.1f MiB, "
                    + "direct buffers %+.1f MiB%n", CONNECTIONS, ANNOUNCED >> 20, heap / 1048576.0, direct / 1048576.0);
            assertTrue(direct < BOUND, "direct buffers grew " + direct + " bytes");
            assertTrue(heap < BOUND, "heap grew " + heap + " bytes");

            for (SocketChannel ch : stalled) {
                assertTrue(closedByPeer(ch), "a stalled socket the daemon left open");
                ch.close();
            }
            assertEquals(0, list(daemon, new StringWriter()), "list answers after");
        }
    }

    /** Blocks until the daemon closes {@code ch} (end of stream or a reset); the test's timeout bounds the wait. */
    private static boolean closedByPeer(SocketChannel ch) {
        ByteBuffer b = ByteBuffer.allocate(64);
        try {
            while (true) {
                if (ch.read(b) < 0) {
                    return true;
                }
                b.clear();
            }
        } catch (IOException reset) {
            return true;
        }
    }

    private static int list(String daemon, StringWriter out) {
        StringWriter err = new StringWriter();
        int exit = Xlpc.run(new String[] {"--daemon", daemon, "list"}, new PrintWriter(out, true),
                new PrintWriter(err, true));
        assertEquals("", err.toString());
        return exit;
    }

    /** A oneway {@code receiver:pushPages} whose first binary field announces {@link #ANNOUNCED} bytes, then ends. */
    private static byte[] hugePushAnnounced() throws Exception {
        TMemoryBuffer b = new TMemoryBuffer(128);
        TBinaryProtocol p = new TBinaryProtocol(b);
        p.writeMessageBegin(new TMessage("receiver:pushPages", TMessageType.ONEWAY, 1));
        p.writeStructBegin(new TStruct("pushPages_args"));
        p.writeFieldBegin(new TField("sessionId", TType.STRING, (short) 1));
        p.writeString("2d23be12-76f4-4b6f-bbbe-5cbcd5960a55");
        p.writeFieldBegin(new TField("pages", TType.STRUCT, (short) 2));
        p.writeStructBegin(new TStruct("TPages"));
        p.writeFieldBegin(new TField("gfns", TType.STRING, (short) 1));
        p.writeI32(ANNOUNCED);
        return java.util.Arrays.copyOf(b.getArray(), b.length());
    }
}
