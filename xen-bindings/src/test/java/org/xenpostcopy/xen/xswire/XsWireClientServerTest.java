package org.xenpostcopy.xen.xswire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStoreTransaction;
import org.xenpostcopy.xen.emulated.EmulatedXenStore;

/** The pure-Java client against our xenstored, over a real unix socket. */
class XsWireClientServerTest {
    @TempDir
    Path dir;
    private EmulatedXenStore store;
    private XsWireServer server;
    private XsWireClient client;

    @BeforeEach
    void start() throws IOException {
        store = new EmulatedXenStore("wire");
        server = new XsWireServer(store, dir.resolve("xs.sock"));
        client = XsWireClient.connect(server.path());
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
        store.close();
    }

    @Test
    void codecRoundTripsAndRefusesOversizedPayloads() throws IOException {
        Pipe pipe = Pipe.open();
        XsMessage m = new XsMessage(XsType.WRITE.code(), 7, 3, XsMessage.join(false, "/a", "v"));
        m.writeTo(pipe.sink());
        XsMessage back = XsMessage.readFrom(pipe.source());
        assertEquals(7, back.reqId());
        assertEquals(3, back.txId());
        assertArrayEquals("/a\0v".getBytes(), back.payload());
        ByteBuffer bad = ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(2).putInt(1).putInt(0)
                .putInt(5000);
        bad.flip();
        pipe.sink().write(bad);
        assertThrows(IOException.class, () -> XsMessage.readFrom(pipe.source()));
        assertThrows(IllegalArgumentException.class, () -> new XsMessage(2, 1, 0, new byte[4097]));
    }

    @Test
    void readWriteDirectoryRemove() {
        client.write("/local/domain/3/memory/target", "1024");
        assertEquals(Optional.of("1024"), client.read("/local/domain/3/memory/target"));
        assertEquals(Optional.of("1024"), store.read("/local/domain/3/memory/target"));
        client.mkdir("/local/domain/3/data");
        assertEquals(List.of("data", "memory"), client.directory("/local/domain/3"));
        client.rm("/local/domain/3/memory");
        assertEquals(Optional.empty(), client.read("/local/domain/3/memory/target"));
        XenException e = assertThrows(XenException.class, () -> client.directory("/nowhere"));
        assertTrue(e.is(Errno.ENOENT), e.getMessage());
        assertTrue(assertThrows(XenException.class, () -> client.write("bad//path", "x")).is(Errno.EINVAL));
    }

    @Test
    void watchesFireOnRegistrationAndChange() {
        List<String> events = new CopyOnWriteArrayList<>();
        var w = client.watch("/local/domain/4", "tok", (p, t) -> events.add(p));
        store.write("/local/domain/4/memory/target", "5");
        Await.until(() -> events.size() >= 2, Duration.ofSeconds(10), () -> "events: " + events);
        assertEquals("/local/domain/4", events.get(0));
        assertTrue(events.contains("/local/domain/4/memory/target"));
        w.close();
        assertTrue(assertThrows(XenException.class, () -> client.watch("relative//bad", "t", (p, t) -> { }))
                .is(Errno.EINVAL));
    }

    @Test
    void transactionsCommitOrAnswerEagain() {
        client.write("/t/a", "1");
        XenStoreTransaction tx = client.begin();
        assertEquals(Optional.of("1"), tx.read("/t/a"));
        tx.write("/t/a", "2");
        store.write("/t/a", "other");
        assertFalse(tx.commit(), "EAGAIN after a conflicting write");
        assertEquals(Optional.of("other"), client.read("/t/a"));
        String seen = client.inTransaction(t -> {
            String v = t.read("/t/a").orElseThrow();
            t.write("/t/b", v + "!");
            return v;
        });
        assertEquals("other", seen);
        assertEquals(Optional.of("other!"), store.read("/t/b"));
    }

    @Test
    void aMissingDaemonIsOneClearError() {
        XenException e = assertThrows(XenException.class, () -> XsWireClient.connect(dir.resolve("nobody.sock")));
        assertTrue(e.getMessage().contains("no xenstored at"), e.getMessage());
    }
}
