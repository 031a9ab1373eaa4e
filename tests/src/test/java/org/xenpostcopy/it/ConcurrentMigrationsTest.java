package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.balloon.BalloonPolicy;
import org.xenpostcopy.migration.cli.Xlpc;
import org.xenpostcopy.migration.daemon.HostAgent;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;

/**
 * Eight migrations at once between three hosts, as {@code xlpc migrate-many} runs them (the cluster lab's concurrent
 * scenario, here on emulated hosts with their agents over real Thrift on loopback): every host sends and receives at
 * the same time, every guest steps on to the next host (a → b → c → a). Each must verify by the guest oracle, send
 * each page once, and end on exactly its destination — never on two hosts, never on none.
 */
class ConcurrentMigrationsTest {
    private static final String TOKEN = "concurrent-token";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int GUESTS = 8;
    private static final String[] WORKLOADS = {"stress-write:4M", "stress-read:4M", "idle", "kernel-compile"};

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void eightAtOnceBetweenThreeHostsEachVerifiedEachPageOnceEachGuestOnOneHost(@TempDir Path dir) throws Exception {
        try (EmulatedXenHost a = new EmulatedXenHost("a");
             EmulatedXenHost b = new EmulatedXenHost("b");
             EmulatedXenHost c = new EmulatedXenHost("c");
             HostAgent agentA = agent(a);
             HostAgent agentB = agent(b);
             HostAgent agentC = agent(c)) {
            Map<String, EmulatedXenHost> hosts = new LinkedHashMap<>(Map.of("a", a, "b", b, "c", c));
            List<String> ring = List.of("a", "b", "c");
            Map<String, String> destination = new HashMap<>();
            List<String> moves = new ArrayList<>();
            for (int i = 0; i < GUESTS; i++) {
                String guest = "g" + i;
                String from = ring.get(i % 3);
                String to = ring.get((i + 1) % 3);
                DomainId d = hosts.get(from).domains().create(DomainConfig.ofMiB(guest, 24 + 8 * (i % 3),
                        WORKLOADS[i % WORKLOADS.length], 100 + i), true);
                hosts.get(from).domains().unpause(d);
                destination.put(guest, to);
                moves.add(guest + "@" + from + "=" + to);
            }
            Path config = dir.resolve("xlpc.conf");
            Files.writeString(config, String.join("\n", "token = " + TOKEN, "host.a = " + address(agentA),
                    "host.b = " + address(agentB), "host.c = " + address(agentC)) + "\n");

            List<String> args = new ArrayList<>(List.of("--config", config.toString(), "migrate-many", "--baseline-ms",
                    "100", "--json"));
            args.addAll(moves);
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int exit = Xlpc.run(args.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));

            assertEquals(0, exit, "every migration moved and verified: " + err + out);
            JsonNode root = JSON.readTree(out.toString());
            assertEquals(GUESTS, root.get("parallel").asInt(), "all at once");
            assertEquals(GUESTS, root.get("migrations").size(), out.toString());
            for (JsonNode m : root.get("migrations")) {
                String guest = m.get("guest").asText();
                assertEquals("moved", m.get("outcome").asText(), m.toString());
                assertEquals(destination.get(guest), m.get("to").asText());
                MigrationReport r = MigrationReport.fromJson(m.get("report").toString());
                assertTrue(r.verified(), guest + ": " + r.verificationNote());
                assertEquals(0, r.mismatchedPages(), guest);
                assertEquals(r.vmPages() - r.pagesSkippedBallooned(), r.pagesTransferred() - r.recovery().pagesResent(),
                        guest + ": every page sent once");
                assertTrue(r.duplicatePages() <= r.recovery().pagesResent(), guest + ": " + r.duplicatePages()
                        + " pages arrived twice");
                assertTrue(m.get("rateMBps").asDouble() > 0, m.toString());
            }
            JsonNode share = root.get("linkShare");
            assertTrue(share.get("jain").asDouble() > 0 && share.get("jain").asDouble() <= 1, share.toString());
            assertEquals(3, share.get("jainBySender").size(), "a, b and c each sent: " + share);

            for (Map.Entry<String, String> g : destination.entrySet()) {
                for (Map.Entry<String, EmulatedXenHost> h : hosts.entrySet()) {
                    assertEquals(h.getKey().equals(g.getValue()), h.getValue().domains().lookup(g.getKey()).isPresent(),
                            g.getKey() + " on " + h.getKey() + " (it went to " + g.getValue() + ")");
                }
                EmulatedXenHost there = hosts.get(g.getValue());
                DomainId d = there.domains().lookup(g.getKey()).orElseThrow();
                Await.until(() -> there.domains().info(d).state() == DomainInfo.State.RUNNING, Duration.ofSeconds(30),
                        () -> g.getKey() + " to run on " + g.getValue());
            }
        }
    }

    @Test
    void aMoveThatIsNotGuestAtFromToIsAUsageError(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("xlpc.conf");
        Files.writeString(config, "token = " + TOKEN + "\nhost.a = 127.0.0.1:1\nhost.b = 127.0.0.1:2\n");
        for (String bad : List.of("g1", "g1@a", "@a=b", "g1@a=", "g1@a=a")) {
            StringWriter err = new StringWriter();
            int exit = Xlpc.run(new String[] {"--config", config.toString(), "migrate-many", bad},
                    new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
            assertEquals(2, exit, bad + ": " + err);
        }
    }

    private static HostAgent agent(EmulatedXenHost host) {
        return new HostAgent(host, new InetSocketAddress("127.0.0.1", 0), BalloonPolicy.defaults(), TOKEN,
                ChannelSecurity.plain());
    }

    private static String address(HostAgent agent) {
        return agent.address().getHostString() + ":" + agent.address().getPort();
    }
}
