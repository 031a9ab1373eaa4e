package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.daemon.DaemonMetrics;
import org.xenpostcopy.migration.daemon.MetricsEndpoint;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainId;

/**
 * A real post-copy between two emulated hosts whose agents feed {@link DaemonMetrics}, each served by its own
 * {@link MetricsEndpoint} and scraped over HTTP as Prometheus would: the phase gauges show the migration while it
 * runs, and afterwards the counters say what the migration's report says.
 */
class DaemonMetricsTest {
    private static final Double ONE = 1.0;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aScrapeShowsTheMigrationRunningThenCountsWhatItsReportSays() throws Exception {
        DaemonMetrics sourceMetrics = new DaemonMetrics();
        DaemonMetrics destinationMetrics = new DaemonMetrics();
        try (TwoHosts hosts = new TwoHosts(sourceMetrics, destinationMetrics);
             MetricsEndpoint sourceEndpoint = MetricsEndpoint.serve(sourceMetrics, loopbackAnyPort());
             MetricsEndpoint destinationEndpoint = MetricsEndpoint.serve(destinationMetrics, loopbackAnyPort())) {
            sourceMetrics.countPhases(hosts.source::census);
            destinationMetrics.countPhases(hosts.destination::census);
            URI source = uri(sourceEndpoint);
            URI destination = uri(destinationEndpoint);
            assertEquals(0, scrape(source).value("xlpc_migrations{phase=\"postcopy\",role=\"source\"}"));

            DomainId d = hosts.bootGuest("vm", 64, "stress-write:4M", 2000);
            // The push stops at its first progress call of post-copy until both gauges have been seen, so the
            // migration is certainly running when they are read (demand faults are served meanwhile); checkpoints
            // every 50 ms, so the report has some to count.
            CountDownLatch seen = new CountDownLatch(1);
            MigrationProgress holdAtPostCopy = (phase, done, total, faults) -> {
                if (phase.equals("post-copy") && seen.getCount() > 0) {
                    try {
                        seen.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            MigrationOptions options = MigrationOptions.defaults().withBaselineMs(0).withLink(400, 0)
                    .withCheckpointing(new Checkpointing(50, MigrationOptions.DEFAULT_STALL_MS));
            CompletableFuture<MigrationReport> migration = CompletableFuture.supplyAsync(
                    () -> hosts.source.migrate(d, hosts.destination.address(), options, holdAtPostCopy));

            Await.until(() -> migration.isDone()
                            || ONE.equals(scrapeQuietly(source).get(
                                    "xlpc_migrations{phase=\"postcopy\",role=\"source\"}"))
                            && ONE.equals(scrapeQuietly(destination).get(
                                    "xlpc_migrations{phase=\"running\",role=\"destination\"}")),
                    Duration.ofSeconds(60), () -> "both gauges to show the migration in post-copy:\n"
                            + scrapeQuietly(source) + "\n" + scrapeQuietly(destination));
            assertTrue(!migration.isDone(), "the migration ended before it was seen running");
            seen.countDown();
            MigrationReport r = migration.get(120, TimeUnit.SECONDS);
            assertTrue(r.verified(), r.verificationNote());

            Scrape atSource = scrape(source);
            assertEquals(1, atSource.value("xlpc_migrations_finished_total{outcome=\"completed\",role=\"source\"}"));
            assertEquals(0, atSource.value("xlpc_migrations_finished_total{outcome=\"failed\",role=\"source\"}"));
            assertEquals(0, atSource.value("xlpc_migrations{phase=\"postcopy\",role=\"source\"}"));
            assertEquals(r.pagesTransferred(), atSource.value("xlpc_pages_sent_total"));
            assertEquals(r.bytesTransferred(), atSource.value("xlpc_transferred_bytes_total"));
            assertEquals(r.recovery().checkpoints(), atSource.value("xlpc_checkpoints_total"));
            assertEquals(r.recovery().checkpointBytes(), atSource.value("xlpc_checkpoint_bytes_total"));
            assertTrue(r.recovery().checkpoints() > 0, "no checkpoint was taken: " + r.toJson());
            assertEquals(r.recovery().cuts(), atSource.value("xlpc_link_cuts_mended_total"));
            assertEquals(1, atSource.value("xlpc_downtime_seconds_count"));
            assertEquals(r.downtimeMs() / 1000, atSource.value("xlpc_downtime_seconds_sum"), 1e-9);
            assertEquals(1, atSource.value("xlpc_migration_duration_seconds_count"));

            Scrape atDestination = scrape(destination);
            assertEquals(1, atDestination.value(
                    "xlpc_migrations_finished_total{outcome=\"completed\",role=\"destination\"}"));
            assertEquals(0, atDestination.value("xlpc_migrations{phase=\"running\",role=\"destination\"}"));
            assertEquals(r.pagesTransferred(), atDestination.value("xlpc_pages_received_total"));
            assertEquals(r.networkFaults(), atDestination.value("xlpc_network_faults_total"));
            assertEquals(r.minorFaults(), atDestination.value("xlpc_minor_faults_total"));
            assertTrue(r.networkFaults() > 0, "the held push left no fault to the network: " + r.toJson());
            // The histogram holds the report's samples: at least one per network fault, and all of them at or
            // below the bucket that holds the report's slowest.
            double faults = atDestination.value("xlpc_pager_latency_seconds_count");
            assertTrue(faults >= r.networkFaults(), faults + " latency samples, " + r.networkFaults() + " faults");
            assertEquals(faults, atDestination.value("xlpc_pager_latency_seconds_bucket{le=\""
                    + bucketAbove(atDestination, r.pagerLatencyUs().max() / 1e6) + "\"}"));
            // Each figure on the host that owns it: the destination sends nothing, the source takes no fault.
            assertEquals(0, atDestination.value("xlpc_pages_sent_total"));
            assertEquals(0, atSource.value("xlpc_network_faults_total"));
            System.out.println("METRICS source\n" + atSource.text() + "METRICS destination\n" + atDestination.text());
        }
    }

    private static java.net.InetSocketAddress loopbackAnyPort() {
        return new java.net.InetSocketAddress("127.0.0.1", 0);
    }

    private static URI uri(MetricsEndpoint e) {
        return URI.create("http://127.0.0.1:" + e.address().getPort() + "/metrics");
    }

    /** The smallest {@code le} bound at or above {@code seconds}, as the scrape spells it. */
    private static String bucketAbove(Scrape s, double seconds) {
        String prefix = "xlpc_pager_latency_seconds_bucket{le=\"";
        String best = "+Inf";
        double bestBound = Double.POSITIVE_INFINITY;
        for (String series : s.series().keySet()) {
            if (series.startsWith(prefix)) {
                String le = series.substring(prefix.length(), series.length() - 2);
                double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
                if (bound >= seconds && bound < bestBound) {
                    best = le;
                    bestBound = bound;
                }
            }
        }
        return best;
    }

    private Scrape scrape(URI uri) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
                response.headers().toString());
        return Scrape.of(response.body());
    }

    /** For waiting on: every series by name, or none if the scrape failed. */
    private Map<String, Double> scrapeQuietly(URI uri) {
        try {
            return scrape(uri).series();
        } catch (IOException | RuntimeException e) {
            return Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of();
        }
    }

    /** One scrape in Prometheus' text format, by series as printed ({@code name{label="v",...}}, labels sorted). */
    record Scrape(String text, Map<String, Double> series) {
        static Scrape of(String text) {
            Map<String, Double> series = new LinkedHashMap<>();
            for (String line : text.split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    int space = line.lastIndexOf(' ');
                    series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
                }
            }
            return new Scrape(text, series);
        }

        double value(String name) {
            Double v = series.get(name);
            if (v == null) {
                throw new AssertionError("no series " + name + " in:\n" + text);
            }
            return v;
        }
    }
}
