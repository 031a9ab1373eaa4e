package org.xenpostcopy.migration.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.destination.DestinationPhase;
import org.xenpostcopy.migration.peer.Completion;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.migration.source.FailedBack;
import org.xenpostcopy.migration.source.SourcePhase;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;

/** The daemon's metrics as a scrape shows them, fed the events an agent gives; and the agent giving them. */
class DaemonMetricsTest {
    private static final DomainId VM = DomainId.of(7);

    private final DaemonMetrics metrics = new DaemonMetrics();

    @Test
    void everyPhaseOfBothRolesIsAGaugeFromTheCensusAndEveryOutcomeStartsAtZero() {
        Map<SourcePhase, Long> out = new EnumMap<>(SourcePhase.class);
        for (SourcePhase p : SourcePhase.values()) {
            out.put(p, 0L);
        }
        out.put(SourcePhase.POSTCOPY, 2L);
        Map<DestinationPhase, Long> in = new EnumMap<>(DestinationPhase.class);
        for (DestinationPhase p : DestinationPhase.values()) {
            in.put(p, 0L);
        }
        in.put(DestinationPhase.PAUSED, 1L);
        metrics.countPhases(() -> new MigrationCensus(out, in));

        Scrape s = Scrape.of(metrics.scrape());

        assertEquals(2, s.value("xlpc_migrations{phase=\"postcopy\",role=\"source\"}"));
        assertEquals(0, s.value("xlpc_migrations{phase=\"failing_back\",role=\"source\"}"));
        assertEquals(1, s.value("xlpc_migrations{phase=\"paused\",role=\"destination\"}"));
        assertEquals(0, s.value("xlpc_migrations{phase=\"running\",role=\"destination\"}"));
        for (String outcome : new String[] {"completed", "failed", "failed_back"}) {
            assertEquals(0, s.value("xlpc_migrations_finished_total{outcome=\"" + outcome + "\",role=\"source\"}"));
        }
        for (String outcome : new String[] {"completed", "aborted", "lost", "taken_back"}) {
            assertEquals(0, s.value("xlpc_migrations_finished_total{outcome=\"" + outcome
                    + "\",role=\"destination\"}"));
        }
    }

    @Test
    void aCompletedOutgoingMigrationAddsWhatItsReportSays() {
        metrics.outgoingCompleted(VM, report(1000, 4_104_000, 12.5, 2500, new MigrationReport.Recovery(2, 800, 17, 5,
                300, 1_231_200, 40, 1)));
        metrics.outgoingCompleted(VM, report(10, 41_040, 250, 30_000, MigrationReport.Recovery.NONE));

        Scrape s = Scrape.of(metrics.scrape());

        assertEquals(2, s.value("xlpc_migrations_finished_total{outcome=\"completed\",role=\"source\"}"));
        assertEquals(1010, s.value("xlpc_pages_sent_total"));
        assertEquals(4_145_040, s.value("xlpc_transferred_bytes_total"));
        assertEquals(5, s.value("xlpc_checkpoints_total"));
        assertEquals(1_231_200, s.value("xlpc_checkpoint_bytes_total"));
        assertEquals(2, s.value("xlpc_link_cuts_mended_total"));
        assertEquals(17, s.value("xlpc_pages_resent_total"));
        assertEquals(2, s.value("xlpc_downtime_seconds_count"));
        assertEquals(0.2625, s.value("xlpc_downtime_seconds_sum"), 1e-9);
        assertEquals(1, s.value("xlpc_downtime_seconds_bucket{le=\"0.025\"}"), "12.5 ms under 25 ms, 250 ms not");
        assertEquals(2, s.value("xlpc_downtime_seconds_bucket{le=\"0.25\"}"));
        assertEquals(2, s.value("xlpc_migration_duration_seconds_count"));
        // Figures the destination owns are not counted by the source, so a fleet's sum counts each once.
        assertEquals(0, s.value("xlpc_network_faults_total"));
        assertEquals(0, s.value("xlpc_pages_received_total"));
    }

    @Test
    void aFailBackIsItsOwnOutcome() {
        metrics.outgoingFailed(VM, mock(FailedBack.class));
        metrics.outgoingFailed(VM, new MigrationException("the destination refused"));

        Scrape s = Scrape.of(metrics.scrape());

        assertEquals(1, s.value("xlpc_migrations_finished_total{outcome=\"failed_back\",role=\"source\"}"));
        assertEquals(1, s.value("xlpc_migrations_finished_total{outcome=\"failed\",role=\"source\"}"));
        assertEquals(0, s.value("xlpc_migrations_finished_total{outcome=\"completed\",role=\"source\"}"));
    }

    @Test
    void anIncomingSessionCountsItsPagesAndFaultsWhenItCompletesAndEachFaultsLatencyAtOnce() {
        metrics.faultAnswered(80_000);          // 80 µs
        metrics.faultAnswered(3_000_000);       // 3 ms
        metrics.sessionEnded(DestinationPhase.COMPLETED, Optional.of(completion(5000, 40, 12)));
        metrics.sessionEnded(DestinationPhase.COMPLETED, Optional.of(completion(100, 3, -1)));   // minor unknown
        metrics.sessionEnded(DestinationPhase.ABORTED, Optional.empty());

        Scrape s = Scrape.of(metrics.scrape());

        assertEquals(2, s.value("xlpc_migrations_finished_total{outcome=\"completed\",role=\"destination\"}"));
        assertEquals(1, s.value("xlpc_migrations_finished_total{outcome=\"aborted\",role=\"destination\"}"));
        assertEquals(5100, s.value("xlpc_pages_received_total"));
        assertEquals(43, s.value("xlpc_network_faults_total"));
        assertEquals(12, s.value("xlpc_minor_faults_total"), "an unknown count (-1) adds nothing");
        assertEquals(2, s.value("xlpc_pager_latency_seconds_count"));
        assertEquals(0.00308, s.value("xlpc_pager_latency_seconds_sum"), 1e-12);
        assertEquals(0, s.value("xlpc_pager_latency_seconds_bucket{le=\"5.0E-5\"}"));
        assertEquals(1, s.value("xlpc_pager_latency_seconds_bucket{le=\"1.0E-4\"}"));
        assertEquals(2, s.value("xlpc_pager_latency_seconds_bucket{le=\"0.005\"}"));
        assertEquals(0, s.value("xlpc_pages_sent_total"), "the source's figure");
    }

    @Test
    void theAgentTellsItsWatcherOfAFailedOutgoingMigrationAndRethrows() {
        MigrationWatcher watcher = mock(MigrationWatcher.class);
        try (EmulatedXenHost host = new EmulatedXenHost("h");
             HostAgent agent = new HostAgent(host, new InetSocketAddress("127.0.0.1", 0),
                     org.xenpostcopy.balloon.BalloonPolicy.defaults(), "",
                     org.xenpostcopy.migration.tls.ChannelSecurity.plain(),
                     org.xenpostcopy.migration.source.SessionJournal.none(),
                     org.xenpostcopy.migration.protocol.ServerLimits.defaults(), watcher)) {
            DomainId none = DomainId.of(99);
            RuntimeException e = assertThrows(RuntimeException.class, () -> agent.migrate(none,
                    new InetSocketAddress("127.0.0.1", 1), MigrationOptions.defaults(), MigrationProgress.NONE));

            verify(watcher).outgoingFailed(eq(none), eq(e));
            verify(watcher, never()).outgoingCompleted(any(), any());
            MigrationCensus census = agent.census();
            assertTrue(census.outgoing().values().stream().allMatch(n -> n == 0), census.toString());
            assertFalse(census.incoming().isEmpty());
        }
    }

    private static MigrationReport report(long pages, long bytes, double downtimeMs, double totalMs,
                                          MigrationReport.Recovery recovery) {
        return new MigrationReport("postcopy", "bubble", false, pages, totalMs, downtimeMs, "guest", pages, bytes,
                bytes, 0, 0, 0, -1, 0, 0, -1, -1, new MigrationReport.FaultLatency(0, 0, 0),
                new MigrationReport.FaultLatency(0, 0, 0), -1, -1, true, 0, "", 1, 1, 1, 2, 0, recovery);
    }

    private static Completion completion(long pages, long networkFaults, long minorFaults) {
        return new Completion(pages, 0, networkFaults, minorFaults, new Completion.Latency(0, 0, 0), 0, -1, -1, -1,
                true, 0, "", 2);
    }
}
