package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.balloon.BalloonPolicy;
import org.xenpostcopy.migration.cli.Xlpc;
import org.xenpostcopy.migration.daemon.HostAgent;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;

/**
 * {@code xlpc evacuate} as users run it, against three hosts with their agents on loopback: host a is emptied onto
 * b and c, which have a memory size each, so "room" is a fact the test can check.
 */
class EvacuationTest {
    private static final String TOKEN = "evac-token";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void everyGuestThatFitsEndsOnExactlyOneHostWithRoomVerifiedAndOneRefusalStopsNothing(@TempDir Path dir)
            throws Exception {
        try (EmulatedXenHost a = new EmulatedXenHost("a");
             EmulatedXenHost b = new EmulatedXenHost("b", 256);
             EmulatedXenHost c = new EmulatedXenHost("c", 192);
             HostAgent agentA = agent(a);
             HostAgent agentB = agent(b);
             HostAgent agentC = agent(c)) {
            // The injected failure: a domain named "dup" already lives on both destinations, so whichever gets the
            // guest "dup" refuses it (a name is unique on a host, as in Xen). Each also holds 32 MiB there.
            b.domains().create(DomainConfig.ofMiB("dup", 32, "idle", 1), true);
            c.domains().create(DomainConfig.ofMiB("dup", 32, "idle", 1), true);
            Map<String, Long> sizes = Map.of("huge", 240L, "g1", 96L, "g2", 64L, "g3", 64L, "dup", 32L, "g4", 32L);
            String[] workloads = {"stress-write:8M", "idle", "stress-read:8M"};
            int i = 0;
            for (Map.Entry<String, Long> g : sizes.entrySet()) {
                DomainId d = a.domains().create(DomainConfig.ofMiB(g.getKey(), g.getValue(), workloads[i++ % 3], 7), true);
                a.domains().unpause(d);
            }
            Path config = dir.resolve("xlpc.conf");
            Files.writeString(config, String.join("\n", "token = " + TOKEN, "host.a = " + address(agentA),
                    "host.b = " + address(agentB), "host.c = " + address(agentC)) + "\n");

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int exit = Xlpc.run(new String[] {"--config", config.toString(), "evacuate", "a", "--parallel", "2",
                    "--baseline-ms", "200", "--json"}, new PrintWriter(out, true), new PrintWriter(err, true));

            assertEquals(1, exit, "a guest stayed, so the exit status says so: " + err + out);
            JsonNode report = JSON.readTree(out.toString());
            Map<String, JsonNode> byGuest = new HashMap<>();
            report.get("guests").forEach(g -> byGuest.put(g.get("guest").asText(), g));
            assertEquals(sizes.keySet(), byGuest.keySet(), out.toString());

            JsonNode huge = byGuest.get("huge");
            assertEquals("not-moved", huge.get("outcome").asText());
            assertEquals("needs 240 MiB and the most any host has left is 224 MiB (b)", huge.get("reason").asText());
            JsonNode dup = byGuest.get("dup");
            assertEquals("failed", dup.get("outcome").asText());
            assertTrue(dup.get("reason").asText().contains("exists"), dup.toString());

            Map<String, EmulatedXenHost> hosts = Map.of("b", b, "c", c);
            for (String g : List.of("g1", "g2", "g3", "g4")) {
                JsonNode o = byGuest.get(g);
                assertEquals("moved", o.get("outcome").asText(), o.toString());
                assertTrue(o.get("verified").asBoolean(), o.toString());
                assertTrue(o.get("downtimeMs").asDouble() > 0 && o.get("pagesTransferred").asLong() > 0, o.toString());
                String to = o.get("destination").asText();
                assertTrue(hosts.containsKey(to), o.toString());
                assertTrue(a.domains().lookup(g).isEmpty(), g + " is gone from a");
                for (Map.Entry<String, EmulatedXenHost> h : hosts.entrySet()) {
                    Optional<DomainId> there = h.getValue().domains().lookup(g);
                    assertEquals(h.getKey().equals(to), there.isPresent(), g + " on " + h.getKey());
                }
                DomainId there = hosts.get(to).domains().lookup(g).orElseThrow();
                Await.until(() -> hosts.get(to).domains().info(there).state() == DomainInfo.State.RUNNING,
                        Duration.ofSeconds(30), () -> g + " to run on " + to);
            }
            assertTrue(a.domains().lookup("huge").isPresent() && a.domains().lookup("dup").isPresent(),
                    "what did not move still runs where it was");
            // No host was given more than it has: every domain's full size fits in the host's memory.
            assertTrue(reservedMiB(b) <= 256 && reservedMiB(c) <= 192, reservedMiB(b) + " / " + reservedMiB(c));
        }
    }

    @Test
    void theTableSaysWhatBecameOfEachGuest(@TempDir Path dir) throws Exception {
        try (EmulatedXenHost a = new EmulatedXenHost("a");
             EmulatedXenHost b = new EmulatedXenHost("b", 64);
             HostAgent agentA = agent(a);
             HostAgent agentB = agent(b)) {
            DomainId d = a.domains().create(DomainConfig.ofMiB("vm", 32, "idle", 1), true);
            a.domains().unpause(d);
            Path config = dir.resolve("xlpc.conf");
            Files.writeString(config, "token = " + TOKEN + "\nhost.a = " + address(agentA) + "\n");
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int exit = Xlpc.run(new String[] {"--config", config.toString(), "evacuate", "a", "--to", address(agentB),
                    "--precopy", "--no-dsb", "--baseline-ms", "100"}, new PrintWriter(out, true), new PrintWriter(err, true));
            assertEquals(0, exit, err + out.toString());
            String text = out.toString();
            assertTrue(text.contains("vm -> " + address(agentB)), "a progress line per guest: " + text);
            assertTrue(text.lines().anyMatch(l -> l.startsWith("vm ") && l.contains("moved") && l.endsWith("yes")), text);
            assertTrue(text.contains("moved 1 of 1 guests off a"), text);
            assertFalse(a.domains().lookup("vm").isPresent());
        }
    }

    private static long reservedMiB(EmulatedXenHost h) {
        return h.domains().list().stream().filter(d -> d.id().value() != 0)
                .mapToLong(d -> h.domains().config(d.id()).memoryPages() / 256).sum();
    }

    private static HostAgent agent(EmulatedXenHost host) {
        return new HostAgent(host, new InetSocketAddress("127.0.0.1", 0), BalloonPolicy.defaults(), TOKEN,
                ChannelSecurity.plain());
    }

    private static String address(HostAgent agent) {
        return agent.address().getHostString() + ":" + agent.address().getPort();
    }
}
