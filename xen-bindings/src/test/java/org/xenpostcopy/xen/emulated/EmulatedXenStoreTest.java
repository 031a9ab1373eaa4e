package org.xenpostcopy.xen.emulated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStoreTransaction;
import org.xenpostcopy.xen.XenStoreWatch;

class EmulatedXenStoreTest {
    private final EmulatedXenStore xs = new EmulatedXenStore("t");

    @AfterEach
    void close() {
        xs.close();
    }

    @Test
    void readWriteMkdirDirectoryRm() {
        xs.write("/local/domain/3/memory/target", "524288");
        assertEquals(Optional.of("524288"), xs.read("/local/domain/3/memory/target"));
        assertEquals(Optional.of(""), xs.read("/local/domain/3/memory"), "parents are created empty");
        xs.mkdir("/local/domain/3/data");
        assertEquals(List.of("data", "memory"), xs.directory("/local/domain/3"));
        xs.rm("/local/domain/3");
        assertEquals(Optional.empty(), xs.read("/local/domain/3/memory/target"));
        assertTrue(assertThrows(XenException.class, () -> xs.directory("/local/domain/3")).is(Errno.ENOENT));
        assertTrue(assertThrows(XenException.class, () -> xs.write("relative/path", "x")).is(Errno.EINVAL));
        assertTrue(assertThrows(XenException.class, () -> xs.write("/a//b", "x")).is(Errno.EINVAL));
        assertEquals(Optional.of("Domain-0"), xs.read("/local/domain/0/name"));
    }

    @Test
    void watchFiresOnRegistrationThenOnChangesAtOrBelowItsPath() {
        List<String> events = new CopyOnWriteArrayList<>();
        XenStoreWatch w = xs.watch("/local/domain/5/memory", "tok", (p, t) -> events.add(t + ":" + p));
        Await.until(() -> events.size() == 1, Duration.ofSeconds(5), () -> "the registration event");
        assertEquals("tok:/local/domain/5/memory", events.get(0));
        xs.write("/local/domain/5/memory/target", "1");
        xs.write("/local/domain/5/name", "not watched");
        xs.write("/local/domain/5/memory/target", "2");
        Await.until(() -> events.size() == 3, Duration.ofSeconds(5), () -> "two change events, got " + events);
        assertEquals("tok:/local/domain/5/memory/target", events.get(1));
        w.close();
        xs.write("/local/domain/5/memory/target", "3");
        xs.write("/sync", "x");
        List<String> sync = new CopyOnWriteArrayList<>();
        xs.watch("/sync", "s", (p, t) -> sync.add(p));
        Await.until(() -> !sync.isEmpty(), Duration.ofSeconds(5), () -> "sync event");
        assertEquals(3, events.size(), "no events after unwatch: " + events);
    }

    @Test
    void transactionsCommitAtomicallyAndConflictWithEagain() {
        xs.write("/t/a", "1");
        XenStoreTransaction t1 = xs.begin();
        assertEquals(Optional.of("1"), t1.read("/t/a"));
        t1.write("/t/b", "2");
        assertEquals(Optional.empty(), xs.read("/t/b"), "not visible before commit");
        assertTrue(t1.commit());
        assertEquals(Optional.of("2"), xs.read("/t/b"));

        XenStoreTransaction t2 = xs.begin();
        t2.read("/t/a");
        t2.write("/t/a", "from-t2");
        xs.write("/t/a", "concurrent");
        assertFalse(t2.commit(), "EAGAIN: /t/a changed under the transaction");
        assertEquals(Optional.of("concurrent"), xs.read("/t/a"));

        int[] attempts = {0};
        String result = xs.inTransaction(tx -> {
            attempts[0]++;
            String v = tx.read("/t/a").orElseThrow();
            if (attempts[0] == 1) {
                xs.write("/t/a", "bumped");
            }
            tx.write("/t/a", v + "+1");
            return v;
        });
        assertEquals(2, attempts[0], "retried once after the conflict");
        assertEquals("bumped", result);
        assertEquals(Optional.of("bumped+1"), xs.read("/t/a"));
    }
}
