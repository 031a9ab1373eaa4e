package org.xenpostcopy.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.it.TlsLab;

/**
 * {@link ProtocolFuzzTest} over mutual TLS: both daemons serve TLS 1.3 with credentials of {@code xlpc tls init}
 * and allow-lists (the source lets in destination and mallory, the destination source and mallory), a post-copy
 * migration runs between them, and the fuzzer comes as two kinds of peer.
 * <ul>
 *   <li>As mallory, allowed by both: the plan's broken frames inside TLS, a third of its receiver and page calls
 *       naming the running migration's session (fetch, push, resume, abort, complete...), which the session binding
 *       must refuse; one connection in two also breaks its records after the handshake ({@link RecordMutation});
 *       and a burst above the per-peer cap.</li>
 *   <li>As peers the daemons must refuse ({@link RefusedPeers}): garbage and Thrift in clear, broken ClientHellos,
 *       a tampered Finished, no certificate, another CA's, one off the allow-list, TLS 1.2. None may get a reply,
 *       hang, or make a domain or a session with the well-formed prepare each sends.</li>
 * </ul>
 * Then everything {@link FuzzedMigration#assertUnharmed} checks, as for plain daemons; the daemons refused the
 * migration's session to mallory (counted from their log) and every refused peer at the handshake; and mallory's
 * prepares made domains ({@link FuzzedMigration#assertFuzzedPreparesMadeDomains}).
 *
 * <p>Replay: {@code -Dfuzz.seed=<seed> -Dfuzz.connections=<n>}; every draw follows from the seed, bar what TLS itself
 * randomises (the handshake's randoms and keys, and so the bytes a broken ClientHello keeps).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsProtocolFuzzTest {
    static final long DEFAULT_SEED = 0x15_0006L;
    /** Connections of mallory's default run, about 4.5 frames each; the refused peers make a third as many more. */
    static final int DEFAULT_CONNECTIONS = 600;
    static final int BURST = 100;
    private static final Duration ANSWER_TIMEOUT = ProtocolFuzzTest.ANSWER_TIMEOUT;
    private static final String TOKEN = ProtocolFuzzTest.TOKEN;
    private static final String SESSION_OWNERS = "org.xenpostcopy.migration.protocol.SessionOwners";
    private static final String IDENTIFIED = "org.xenpostcopy.migration.protocol.IdentifiedConnection";
    /** Where the refused peers connect from (mallory: 127.0.0.2 and .3). */
    private static final String REFUSED_PEERS_AT = "127.0.0.4";

    private TlsLab lab;
    private TlsLab otherLab;

    @BeforeAll
    void makeCredentialsWithXlpcTlsInit(@TempDir Path tmp) {
        lab = TlsLab.init(tmp.resolve("lab"), "source", "destination", "mallory", "outsider");
        otherLab = TlsLab.init(tmp.resolve("other-lab"), "mallory");
    }

    @Test
    @Timeout(300)
    void brokenFramesRecordsAndHandshakesNeitherStopTlsDaemonsNorTouchTheMigration() throws Exception {
        fuzz(Long.getLong("fuzz.seed", DEFAULT_SEED), Integer.getInteger("fuzz.connections", DEFAULT_CONNECTIONS));
    }

    /** Another seed, three times as many connections: CI runs the slow group. */
    @Test
    @Tag("slow")
    @Timeout(1800)
    void threeTimesAsManyUnderAnotherSeed() throws Exception {
        fuzz(DEFAULT_SEED + 1, 3 * DEFAULT_CONNECTIONS);
    }

    private void fuzz(long seed, int connections) throws Exception {
        System.out.printf(Locale.ROOT, "tls fuzz: seed %d, %d connections (replay: -Dfuzz.seed=%d "
                + "-Dfuzz.connections=%d)%n", seed, connections, seed, connections);
        try {
            run(seed, connections);
        } catch (AssertionError | Exception e) {
            throw new AssertionError("TLS fuzz run failed; replay with -Dfuzz.seed=" + seed + " -Dfuzz.connections="
                    + connections + ": " + e.getMessage(), e);
        }
    }

    private void run(long seed, int connections) throws Exception {
        FuzzerIdentity mallory = FuzzerIdentity.of(lab.credentials("mallory"));
        int refusedConnections = connections / 3;
        try (FuzzedMigration m = new FuzzedMigration("tlsfuzz", TOKEN, lab.host("source", "destination,mallory"),
                lab.host("destination", "source,mallory"), lab.host("mallory", "source,destination"));
             CountedLog sessionRefusals = new CountedLog(SESSION_OWNERS, "refused {0} of session");
             CountedLog handshakeRefusals = new CountedLog(IDENTIFIED, "refused a connection");
             // Only the refused peers' own: mallory's connections (its burst, say) must not make up for one let in.
             CountedLog refusedPeersRefusals = new CountedLog(IDENTIFIED, "refused a connection",
                     REFUSED_PEERS_AT + ":")) {
            m.startMigration();
            String session = m.awaitSession();
            ValidCalls calls = new ValidCalls(TOKEN, session);
            FuzzPlan plan = new FuzzPlan(seed, calls);
            FuzzTally tally = new FuzzTally(ANSWER_TIMEOUT);
            FuzzLink asMallory = TlsFuzzConnection.link(mallory, seed, true, tally);
            long t0 = System.nanoTime();

            // mallory, allowed: the plan's frames inside TLS, records broken now and then, from 127.0.0.2
            InetAddress malloryAt = InetAddress.getByName("127.0.0.2");
            FuzzSender.inParallel(0, connections, i -> {
                FuzzPlan.Connection c = plan.connection(i);
                tally.sent(c);
                tally.outcome(c, asMallory.exchange(target(c, m), malloryAt, c, ANSWER_TIMEOUT));
            });
            // and a burst above the per-peer cap, all opened before any handshake, from 127.0.0.3
            FuzzSender.burst(plan, connections, connections + BURST, TlsFuzzConnection.link(mallory, seed, false,
                    tally), InetAddress.getByName("127.0.0.3"), c -> target(c, m), ANSWER_TIMEOUT, tally);

            // peers the daemons must refuse, from 127.0.0.4 (their frames: the plan's after the burst's)
            RefusedPeers refused = new RefusedPeers(seed, plan, connections + BURST, calls, mallory,
                    FuzzerIdentity.of(otherLab.credentials("mallory")), FuzzerIdentity.of(lab.credentials("outsider")));
            InetAddress strangerAt = InetAddress.getByName(REFUSED_PEERS_AT);
            FuzzSender.inParallel(0, refusedConnections, i -> {
                RefusedPeers.Attempt a = refused.attempt(i);
                tally.countKind("refused " + a.kind());
                tally.sentByRefusedPeer(a.connection());
                tally.refusedOutcome(a.connection(), a.kind() + " (" + a.how() + ")",
                        a.link().exchange(target(a.connection(), m), strangerAt, a.connection(), ANSWER_TIMEOUT));
            });
            double seconds = (System.nanoTime() - t0) / 1e9;
            // mallory's connections whose records went unbroken (not the burst's: the per-peer cap closes some)
            Set<String> intact = WellFormedPrepares.intactOpenings(plan, 0, connections, session,
                    i -> TlsFuzzConnection.recordMutation(seed, i) == RecordMutation.NONE);

            FuzzedMigration.Figures f = m.finish();
            System.out.printf(Locale.ROOT, "tls fuzz: seed %d: %d frames on %d connections (%d of refused peers) in "
                            + "%.1f s (%.0f frames/s), migration %s (%d cuts); %d replies, %d connections dropped early, "
                            + "%d calls on the migration's session refused, %d handshakes refused (%d of refused "
                            + "peers); %d well-formed prepares (%d intact), %d domains prepared; "
                            + "heap %+.1f MiB, direct %+.1f MiB (bound %d MiB); %s; mutations %s%n",
                    seed, tally.frames.get(), tally.connections.get(), refusedConnections, seconds,
                    tally.frames.get() / seconds, f.overlapped() ? "still running at the end" : "done before the end",
                    f.report().recovery().cuts(), tally.replies.get(), tally.refusedEarly.get(), sessionRefusals.count(),
                    handshakeRefusals.count(), refusedPeersRefusals.count(), tally.preparedDomains.size(),
                    intact.size(), m.preparedDomains(),
                    f.heapGrowth() / 1048576.0, f.direct() / 1048576.0, f.bound() >> 20, new TreeMap<>(counts(tally)),
                    tally.mutations);

            m.assertUnharmed(f, tally);
            m.assertFuzzedPreparesMadeDomains(intact, connections >= DEFAULT_CONNECTIONS ? 1 : 0);
            assertTrue(sessionRefusals.count() > 0, "no call on the migration's session reached the binding");
            assertTrue(refusedPeersRefusals.count() >= refusedConnections, "handshakes of refused peers refused: "
                    + refusedPeersRefusals.count() + " of " + refusedConnections + " (" + handshakeRefusals.count()
                    + " from anyone)");
        }
    }

    private static Map<String, Integer> counts(FuzzTally tally) {
        Map<String, Integer> out = new TreeMap<>();
        tally.kinds.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    private static InetSocketAddress target(FuzzPlan.Connection c, FuzzedMigration m) {
        return c.toSource() ? m.source.address() : m.destination.address();
    }
}
