package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.balloon.BalloonPolicy;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.daemon.HostAgent;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.migration.source.SessionJournal;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;

/**
 * The source's agent dies mid post-copy, and a new agent on the same host — the domain outlived its toolstack, as
 * on Xen — finishes the migration from the journal. In one process: the old agent's connections are severed for
 * good (its relay closes) and a new agent, on another port, reads the journal the old one wrote, with the
 * destination's address set to the destination itself (the old one reached it through the relay). The destination
 * must move its demand channel to the new agent, get every page it missed and verify the guest; the source host
 * must end with no copy. (The same with real processes and SIGKILL is in the end-to-end tests.)
 */
class SourceRestartTest {
    @TempDir
    Path oldJournal;
    @TempDir
    Path newJournal;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aNewAgentFinishesThePostCopyTheOldOneLeftAndTheGuestVerifies() throws Exception {
        EmulatedXenHost sourceHost = new EmulatedXenHost("source");
        EmulatedXenHost destinationHost = new EmulatedXenHost("destination");
        HostAgent destination = new HostAgent(destinationHost, new InetSocketAddress("127.0.0.1", 0));
        HostAgent oldSource = new HostAgent(sourceHost, new InetSocketAddress("127.0.0.1", 0), BalloonPolicy.defaults(),
                "", ChannelSecurity.plain(), SessionJournal.in(oldJournal));
        // Nothing breaks on its own: the relay only lets the test cut every connection of the old agent at once.
        FaultyLink relay = new FaultyLink(FaultyLink.Fault.SLOW, FaultyLink.Target.ALL, Long.MAX_VALUE, 0);
        HostAgent newSource = null;
        try {
            oldSource.advertiseAs(relay.toSource(oldSource.address()));
            DomainId d = sourceHost.domains().create(DomainConfig.ofMiB("vm", 64, "stress-write:16M", 7), true);
            sourceHost.domains().unpause(d);
            Await.until(() -> sourceHost.guestOps(d) >= 500, Duration.ofMinutes(1), () -> "the guest to warm up");
            MigrationOptions options = MigrationOptions.defaults().withLink(100, 0).withBaselineMs(0)
                    .withRecovery(500, 5_000);
            InetSocketAddress throughRelay = relay.toDestination(destination.address());
            CompletableFuture<MigrationReport> old = CompletableFuture.supplyAsync(() -> oldSource.migrate(d,
                    throughRelay, options, MigrationProgress.NONE));
            Await.until(() -> handedOver(oldJournal), Duration.ofMinutes(1), () -> "the old agent's journal entry");
            Await.until(() -> destination.receiver().activeSessions().size() == 1, Duration.ofMinutes(1),
                    () -> "post-copy to be under way");

            // The old agent dies: nothing of it reaches the destination again.
            relay.close();
            oldSource.close();
            Path entry = onlyEntry(oldJournal);
            copyPointingAt(entry, newJournal.resolve(entry.getFileName()), destination.address());

            newSource = new HostAgent(sourceHost, new InetSocketAddress("127.0.0.1", 0), BalloonPolicy.defaults(), "",
                    ChannelSecurity.plain(), SessionJournal.in(newJournal));

            Await.until(() -> sourceHost.domains().lookup("vm").isEmpty(), Duration.ofMinutes(2),
                    () -> "the new agent to finish the migration and destroy the source's copy");
            Await.until(() -> SessionJournal.in(newJournal).entries().isEmpty(), Duration.ofSeconds(30),
                    () -> "the journal entry to go once the migration ended");
            DomainId there = destinationHost.domains().lookup("vm").orElseThrow();
            assertEquals(DomainInfo.State.RUNNING, destinationHost.domains().info(there).state());
            assertTrue(destinationHost.guestProbe().orElseThrow().verify(there).clean(),
                    "the guest's memory at the destination checks clean");
            assertTrue(destination.receiver().activeSessions().isEmpty());
            old.handle((r, e) -> null).get(60, TimeUnit.SECONDS);   // the old migration gives up; it touches nothing
            assertTrue(sourceHost.domains().lookup("vm").isEmpty());
        } finally {
            if (newSource != null) {
                newSource.close();
            }
            relay.close();
            oldSource.close();
            destination.close();
            sourceHost.close();
            destinationHost.close();
        }
    }

    private static boolean handedOver(Path dir) {
        return SessionJournal.in(dir).entries().stream().anyMatch(SessionJournal.Entry::handedOver);
    }

    private static Path onlyEntry(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> all = files.filter(p -> p.toString().endsWith(".session.json")).toList();
            assertEquals(1, all.size(), "journal entries: " + all);
            return all.get(0);
        }
    }

    private static void copyPointingAt(Path from, Path to, InetSocketAddress destination) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode e = (ObjectNode) json.readTree(Files.readString(from));
        e.put("destinationHost", destination.getHostString());
        e.put("destinationPort", destination.getPort());
        Files.writeString(to, json.writeValueAsString(e));
    }
}
