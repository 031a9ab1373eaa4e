package org.xenpostcopy.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.xenpostcopy.balloon.BalloonPolicy;
import org.xenpostcopy.it.MemoryInUse;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.daemon.HostAgent;
import org.xenpostcopy.migration.protocol.DaemonConnection;
import org.xenpostcopy.migration.protocol.ServerLimits;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.migration.source.SessionJournal;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;

/**
 * The scene of a fuzz run: two daemons with the default limits, a 256 MiB {@code stress-write:64M} guest migrating
 * post-copy from one to the other while the fuzzer sends, and what is watched meanwhile (SEVERE log lines, threads
 * that die, heap and direct buffers, the domains each host held). {@link #finish} waits for the migration and every
 * connection to end; {@link #assertUnharmed} then checks what every fuzz run must leave as it found it.
 */
final class FuzzedMigration implements AutoCloseable {
    /** What the daemons may hold after the fuzzing beyond what they held before (heap and direct buffers each). */
    static final long HEAP_BOUND = 32L << 20;
    /**
     * What each session a well-formed fuzzed prepare made may hold on top: its own pager, ring and demand connection
     * (measured: about 1.4 MiB of direct buffers each).
     */
    static final long PER_PREPARED_SESSION = 2L << 20;
    /** The migration's stall limit: far above any pause a loaded machine gives a heartbeat. */
    private static final int STARVED_STALL_MS = 60_000;

    /**
     * What a run came to.
     *
     * @param overlapped whether the migration was still running when the fuzzing ended
     * @param heapGrowth heap in use after, less before, in bytes
     * @param direct     direct buffers in use after, less before, in bytes
     * @param bound      what each of the two may grow by
     */
    record Figures(MigrationReport report, boolean overlapped, long heapGrowth, long direct, long bound) {
    }

    final EmulatedXenHost sourceHost;
    final EmulatedXenHost destinationHost;
    final HostAgent source;
    final HostAgent destination;
    final SevereLog severe;
    private final String token;
    private final ChannelSecurity controlClient;
    private final DomainId guest;
    private final ConcurrentLinkedQueue<Throwable> uncaught = new ConcurrentLinkedQueue<>();
    private final Thread.UncaughtExceptionHandler before;
    private final List<String> sourceBefore;
    private final List<String> destinationBefore;
    private final MemoryInUse memoryBefore;
    private CompletableFuture<MigrationReport> migration;

    /**
     * Starts both daemons and boots the guest (warmed up), then takes the baselines.
     *
     * @param controlClient how the checks afterwards reach the daemons' control service
     */
    FuzzedMigration(String name, String token, ChannelSecurity sourceSecurity, ChannelSecurity destinationSecurity,
                    ChannelSecurity controlClient) {
        this.token = token;
        this.controlClient = controlClient;
        sourceHost = new EmulatedXenHost(name + "-source");
        destinationHost = new EmulatedXenHost(name + "-destination");
        source = agent(sourceHost, sourceSecurity);
        destination = agent(destinationHost, destinationSecurity);
        severe = new SevereLog();
        try {
            guest = sourceHost.domains().create(DomainConfig.ofMiB("vm", 256, "stress-write:64M", 42), true);
            sourceHost.domains().unpause(guest);
            Await.until(() -> sourceHost.guestOps(guest) >= 20_000, Duration.ofMinutes(2),
                    () -> "the guest warming up");
        } catch (RuntimeException | Error e) {
            closeAll();
            throw e;
        }
        before = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> uncaught.add(new IllegalStateException(t.getName(), e)));
        sourceBefore = names(sourceHost);
        destinationBefore = names(destinationHost);
        memoryBefore = MemoryInUse.now();
    }

    /** A daemon with the default limits and a control token (the fuzzer uses it only where a call reads). */
    private HostAgent agent(EmulatedXenHost host, ChannelSecurity security) {
        return new HostAgent(host, new InetSocketAddress("127.0.0.1", 0), BalloonPolicy.defaults(), token,
                security, SessionJournal.none(), ServerLimits.defaults());
    }

    /**
     * Starts the migration. A shaped link keeps it going while the fuzzer sends. This is about the server, not about
     * recovery's timing (LinkFaultTest and DestinationLostTest are): a machine starved by other jobs (load 60 on 2
     * cores seen) must not turn a late heartbeat into a cut, nor a late lease into a fail-back, so the stall limit is
     * long and there are no reverse checkpoints to fail back to.
     */
    void startMigration() {
        MigrationOptions options = MigrationOptions.defaults().withPrePaging(PrePaging.BUBBLE).withLink(400, 0)
                .withBaselineMs(0).withRecovery(STARVED_STALL_MS, MigrationOptions.DEFAULT_GIVE_UP_MS)
                .withCheckpointing(Checkpointing.off());
        migration = CompletableFuture.supplyAsync(() -> source.migrate(guest, destination.address(), options,
                MigrationProgress.NONE));
    }

    /** The migration's session id, once the destination has it (the migration is then under way). */
    String awaitSession() {
        Await.until(() -> !destination.receiver().activeSessions().isEmpty() || migration.isDone(),
                Duration.ofSeconds(60), () -> "the migration's session to be prepared");
        assertTrue(!migration.isDone(), "the migration ended before it could be fuzzed beside: " + migration);
        return destination.receiver().activeSessions().iterator().next();
    }

    /** Waits for the migration and for every connection to close, then measures what the daemons still hold. */
    Figures finish() throws Exception {
        boolean overlapped = !migration.isDone();
        MigrationReport r = migration.get();
        Await.until(() -> source.openConnections() == 0 && destination.openConnections() == 0,
                Duration.ofSeconds(30), () -> "every connection closed: the source holds "
                        + source.openConnections() + ", the destination " + destination.openConnections());
        long bound = HEAP_BOUND + PER_PREPARED_SESSION * (source.receiver().activeSessions().size()
                + destination.receiver().activeSessions().size());
        MemoryInUse growth = settledGrowth(bound);
        return new Figures(r, overlapped, growth.heap(), growth.direct(), bound);
    }

    /** Domains named so by the fuzzer's prepares, on both hosts. */
    long preparedDomains() {
        return Stream.concat(names(sourceHost).stream(), names(destinationHost).stream())
                .filter(n -> n.startsWith(ValidCalls.PREPARED_PREFIX)).count();
    }

    /**
     * No finding, no error line (but about a session a let-in peer's well-formed prepare made), no thread died; both
     * daemons serve; heap and direct buffers within the bound; the migration verified with every page sent once; and
     * no domain or session that no let-in peer's well-formed prepare made, and none at all of a refused peer's.
     */
    void assertUnharmed(Figures f, FuzzTally tally) {
        assertEquals(List.of(), tally.findings.stream().limit(10).toList(), "findings");
        assertEquals(List.of(), errorsBeyondFuzzedSessions(tally), "error lines logged");
        assertEquals(List.of(), uncaught.stream().map(Throwable::toString).toList(), "threads that died");
        assertServes(source);
        assertServes(destination);
        assertTrue(f.heapGrowth() < f.bound(), "heap grew " + f.heapGrowth() + " bytes, above " + f.bound());
        assertTrue(f.direct() < f.bound(), "direct buffers grew " + f.direct() + " bytes, above " + f.bound());
        assertIntact(f.report());
        assertNothingFromGarbage(tally);
    }

    /**
     * That the fuzzer still reaches the receiver's real prepare path, past its checks to a domain made: at least
     * {@code atLeast} domains of fuzzed prepares on the hosts, among them each of an intact one
     * ({@link WellFormedPrepares#intactOpening}). Without this, a change that made every fuzzed prepare fail (an
     * emulated guest's new minimum size did, for a while) would pass every other check.
     */
    void assertFuzzedPreparesMadeDomains(Set<String> intact, int atLeast) {
        Set<String> held = new HashSet<>(names(sourceHost));
        held.addAll(names(destinationHost));
        assertEquals(List.of(), intact.stream().filter(d -> !held.contains(d)).limit(10).toList(),
                "domains of intact fuzzed prepares not made (of " + intact.size() + ")");
        assertTrue(preparedDomains() >= atLeast, preparedDomains() + " domains made by fuzzed prepares, not "
                + atLeast + ": the fuzzer no longer reaches the receiver's prepare path");
    }

    /**
     * The error lines, but those about a session a well-formed fuzzed prepare made: its source (a port nobody listens
     * on) is unreachable, and saying so is the engine's job, not a fault of the server.
     */
    private List<String> errorsBeyondFuzzedSessions(FuzzTally tally) {
        return severe.lines().stream()
                .filter(line -> tally.preparedSessions.stream().noneMatch(line::contains))
                .limit(10)
                .toList();
    }

    /** Its accept thread lives and its control service answers. */
    private void assertServes(HostAgent a) {
        assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive()
                && t.getName().equals("thrift-accept-" + a.address().getPort())), "the accept thread lives");
        try (DaemonConnection c = DaemonConnection.open(a.address(), token, controlClient)) {
            assertTrue(c.describe() != null, "the daemon answers");
            c.listDomains();
        }
    }

    /** Verified, nothing mismatched, every page sent once. */
    private static void assertIntact(MigrationReport r) {
        assertTrue(r.verified(), r.verificationNote());
        assertEquals(0, r.mismatchedPages());
        // A loaded machine can starve the lease and cut the link; a reconnect then resends what was in flight.
        long resent = r.recovery().pagesResent();
        assertEquals(r.vmPages() - r.pagesSkippedBallooned() + resent, r.pagesTransferred(),
                "every page sent once, bar those sent again after a cut");
        assertTrue(r.duplicatePages() <= resent, r.duplicatePages() + " duplicates");
    }

    /**
     * Each host holds what it had (the source less the migrated guest, the destination with it) and nothing more but
     * what let-in peers' well-formed prepares made: both daemons receive migrations. What a refused peer's prepare
     * would have made is told by its domain's name, drawn for that prepare alone; not by its session, whose id a
     * let-in peer may name too (the TLS fuzzer's peers name the running migration's, and mallory's prepare of it
     * at the source, which receives no such session, is let in).
     */
    private void assertNothingFromGarbage(FuzzTally tally) {
        List<String> sourceAfter = new ArrayList<>(sourceBefore);
        sourceAfter.remove("vm");
        assertHolds(sourceHost, sourceAfter, tally);
        List<String> destinationAfter = new ArrayList<>(destinationBefore);
        destinationAfter.add("vm");
        assertHolds(destinationHost, destinationAfter, tally);
        assertEquals(DomainInfo.State.RUNNING, destinationHost.domains().lookup("vm")
                .map(id -> destinationHost.domains().info(id).state()).orElse(null), "the migrated guest runs on");
        for (HostAgent a : List.of(source, destination)) {
            assertTrue(tally.preparedSessions.containsAll(a.receiver().activeSessions()),
                    "sessions no well-formed prepare made: " + a.receiver().activeSessions());
        }
    }

    private static void assertHolds(EmulatedXenHost host, List<String> expected, FuzzTally tally) {
        List<String> held = names(host);
        assertTrue(held.containsAll(expected), "domains gone: " + held + " of " + expected);
        Set<String> allowed = new HashSet<>(expected);
        allowed.addAll(tally.preparedDomains);
        assertTrue(allowed.containsAll(held), "domains no well-formed prepare made: " + held);
        assertTrue(held.stream().noneMatch(tally.refusedPeersDomains::contains),
                "domains a refused peer prepared: " + held);
    }

    private static List<String> names(EmulatedXenHost host) {
        return host.domains().list().stream().map(DomainInfo::name).sorted().collect(Collectors.toList());
    }

    /**
     * How much more heap and direct buffers are in use than before, once back within {@code bound} or after 30 s:
     * direct buffers are freed by their cleaners after a collection, not during it.
     */
    private MemoryInUse settledGrowth(long bound) {
        AtomicReference<MemoryInUse> grown = new AtomicReference<>();
        try {
            Await.until(() -> {
                grown.set(MemoryInUse.now().minus(memoryBefore));
                return grown.get().heap() < bound && grown.get().direct() < bound;
            }, Duration.ofSeconds(30), () -> "heap and direct buffers back within the bound");
        } catch (AssertionError stillAbove) {
            // the caller reports the figures
        }
        return grown.get();
    }

    @Override
    public void close() {
        Thread.setDefaultUncaughtExceptionHandler(before);
        closeAll();
    }

    private void closeAll() {
        severe.close();
        source.close();
        destination.close();
        sourceHost.close();
        destinationHost.close();
    }
}
