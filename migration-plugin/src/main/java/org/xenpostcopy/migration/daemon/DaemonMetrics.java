package org.xenpostcopy.migration.daemon;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.xenpostcopy.migration.destination.DestinationPhase;
import org.xenpostcopy.migration.peer.Completion;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.migration.source.FailedBack;
import org.xenpostcopy.migration.source.SourcePhase;
import org.xenpostcopy.xen.DomainId;

/**
 * One daemon's migration metrics in Prometheus form: the {@link MigrationWatcher} {@code xlpc daemon} gives its
 * agent, turning the engine's plain events into counters and histograms, plus a gauge read from the agent's
 * {@link MigrationCensus} at each scrape. The only class that knows the metrics library besides
 * {@link MetricsEndpoint}, which serves it.
 *
 * <p>Each figure is counted on the host that owns it, so summing over a fleet never counts a migration twice: the
 * source counts what its report says (pages sent, bytes, downtime, checkpoints, cuts), the destination what its
 * guest saw (pages received, faults and their latency). Everything but the phase gauge and the fault latency is
 * counted when a migration ends — the report is the one place those figures are exact; a migration's live
 * progress is {@code xlpc migrate}'s progress line. Names follow Prometheus' conventions: an {@code xlpc_} prefix,
 * the unit in the name, {@code _total} on counters.
 *
 * <p>No label carries a domain or host name, nor anything else a migration's peer chose: label values are fixed
 * words, so a hostile peer cannot grow the series without bound.
 */
public final class DaemonMetrics implements MigrationWatcher {
    static final String SOURCE = "source";
    static final String DESTINATION = "destination";

    /** Faults answered on loopback take tens to hundreds of microseconds; over a WAN, tens of milliseconds. */
    private static final double[] FAULT_LATENCY_BOUNDS = {
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
    /** Post-copy's downtime is milliseconds; pre-copy's last round can stretch it to seconds. */
    private static final double[] DOWNTIME_BOUNDS = {
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    private static final double[] DURATION_BOUNDS = {0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private volatile Supplier<MigrationCensus> census = () -> null;

    private final Counter finished = counter("xlpc_migrations_finished",
            "Migrations that ended, by this host's role in them and how they ended.", "role", "outcome");
    private final Counter pagesSent = counter("xlpc_pages_sent",
            "Source: guest pages sent by completed migrations (the report's pagesTransferred).");
    private final Counter bytesTransferred = counter("xlpc_transferred_bytes",
            "Source: bytes of completed migrations counted at the socket, both directions (bytesTransferred).");
    private final Counter pagesSkipped = counter("xlpc_pages_skipped_ballooned",
            "Source: pages not sent because the guest had ballooned them out (pagesSkippedBallooned).");
    private final Counter checkpoints = counter("xlpc_checkpoints",
            "Source: reverse checkpoints committed during completed migrations.");
    private final Counter checkpointBytes = counter("xlpc_checkpoint_bytes",
            "Source: bytes of reverse checkpoint pages received, at 4104 per page (recovery.checkpointBytes).");
    private final Counter cutsMended = counter("xlpc_link_cuts_mended",
            "Source: cuts of the link after the switch that a reconnect mended, in completed migrations.");
    private final Counter pagesResent = counter("xlpc_pages_resent",
            "Source: pages sent again after a cut because the destination had missed them.");
    private final Histogram downtime = histogram("xlpc_downtime_seconds",
            "Source: the guest's last instruction here to its first at the destination, per completed migration.",
            DOWNTIME_BOUNDS);
    private final Histogram duration = histogram("xlpc_migration_duration_seconds",
            "Source: from the migrate command to completion (totalMigrationMs), per completed migration.",
            DURATION_BOUNDS);
    private final Counter pagesReceived = counter("xlpc_pages_received",
            "Destination: guest pages received by completed migrations.");
    private final Counter networkFaults = counter("xlpc_network_faults",
            "Destination: first guest touches of pages that had to be fetched from the source, in completed "
                    + "migrations.");
    private final Counter minorFaults = counter("xlpc_minor_faults",
            "Destination: first guest touches of pages pre-paging had already brought, in completed migrations "
                    + "(hosts that cannot tell add nothing).");
    private final Histogram faultLatency = histogram("xlpc_pager_latency_seconds",
            "Destination: the pager's side of each fault, from its request leaving the ring to the answer, observed "
                    + "as each fault is answered (the report's pagerLatencyUs; the vCPU's own wait, faultLatencyUs, "
                    + "is known only when the migration ends).", FAULT_LATENCY_BOUNDS);

    public DaemonMetrics() {
        GaugeWithCallback.builder()
                .name("xlpc_migrations")
                .help("Migrations running now, by this host's role in them and their phase.")
                .labelNames("role", "phase")
                .callback(gauge -> {
                    MigrationCensus now = census.get();
                    if (now == null) {
                        return;
                    }
                    for (Map.Entry<SourcePhase, Long> e : now.outgoing().entrySet()) {
                        gauge.call(e.getValue(), SOURCE, word(e.getKey()));
                    }
                    for (Map.Entry<DestinationPhase, Long> e : now.incoming().entrySet()) {
                        gauge.call(e.getValue(), DESTINATION, word(e.getKey()));
                    }
                })
                .register(registry);
        // Every outcome from the start at 0, so the first of each is an increase a rate() sees.
        for (String outcome : new String[] {"completed", "failed", "failed_back"}) {
            finished.initLabelValues(SOURCE, outcome);
        }
        for (DestinationPhase end : new DestinationPhase[] {DestinationPhase.COMPLETED, DestinationPhase.ABORTED,
                DestinationPhase.LOST, DestinationPhase.TAKEN_BACK}) {
            finished.initLabelValues(DESTINATION, word(end));
        }
    }

    /** Reads the phase gauge from {@code census} at each scrape (the agent's, once it exists). */
    public void countPhases(Supplier<MigrationCensus> census) {
        this.census = census;
    }

    @Override
    public void outgoingCompleted(DomainId domain, MigrationReport report) {
        finished.labelValues(SOURCE, "completed").inc();
        pagesSent.inc(report.pagesTransferred());
        bytesTransferred.inc(Math.max(0, report.bytesTransferred()));
        pagesSkipped.inc(Math.max(0, report.pagesSkippedBallooned()));
        downtime.observe(report.downtimeMs() / 1000);
        duration.observe(report.totalMigrationMs() / 1000);
        MigrationReport.Recovery r = report.recovery();
        if (r != null) {
            checkpoints.inc(r.checkpoints());
            checkpointBytes.inc(r.checkpointBytes());
            cutsMended.inc(r.cuts());
            pagesResent.inc(r.pagesResent());
        }
    }

    @Override
    public void outgoingFailed(DomainId domain, RuntimeException why) {
        finished.labelValues(SOURCE, why instanceof FailedBack ? "failed_back" : "failed").inc();
    }

    @Override
    public void faultAnswered(long nanos) {
        faultLatency.observe(nanos / 1e9);
    }

    @Override
    public void sessionEnded(DestinationPhase outcome, Optional<Completion> completion) {
        finished.labelValues(DESTINATION, word(outcome)).inc();
        completion.ifPresent(c -> {
            pagesReceived.inc(c.pagesReceived());
            networkFaults.inc(c.networkFaults());
            if (c.minorFaults() >= 0) {
                minorFaults.inc(c.minorFaults());
            }
        });
    }

    /** The text a scrape of {@code /metrics} returns, as Prometheus' text format 0.0.4. */
    public String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape(), EscapingScheme.DEFAULT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);   // a ByteArrayOutputStream does not fail
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    PrometheusRegistry registry() {
        return registry;
    }

    /** A phase or outcome as a label value: its enum name in lower case ("postcopy", "taken_back"). */
    private static String word(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    private Counter counter(String name, String help, String... labels) {
        return Counter.builder().name(name).help(help).labelNames(labels).withoutExemplars().register(registry);
    }

    private Histogram histogram(String name, String help, double[] bounds) {
        return Histogram.builder().name(name).help(help).unit(Unit.SECONDS).classicOnly()
                .classicUpperBounds(bounds).withoutExemplars().register(registry);
    }
}
