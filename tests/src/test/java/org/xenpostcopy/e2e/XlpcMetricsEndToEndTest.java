package org.xenpostcopy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.Await;

/**
 * {@code xlpc daemon}'s {@code /metrics} as users meet it: on by default (loopback; a daemon on port 0 gets any free
 * port and names it on stderr), off with {@code --metrics-listen off}, and counting an {@code xlpc migrate}.
 */
class XlpcMetricsEndToEndTest {
    private static final Map<String, String> ENV = Map.of("XLPC_TOKEN", "e2e-metrics");
    private static final Pattern SERVED = Pattern.compile("metrics on (http://127\\.0\\.0\\.1:\\d+/metrics)");

    @Test
    void aDaemonServesMetricsByDefaultAndCountsAMigrationThatOneWithMetricsOffDoesNotServe() throws Exception {
        try (XlpcProcess.Daemon alpha = new XlpcProcess.Daemon("alpha", ENV);
             XlpcProcess.Daemon beta = new XlpcProcess.Daemon("beta", ENV, "--metrics-listen", "off")) {
            // The line that names the metrics address follows the "listening on" line the daemon has printed.
            Await.until(() -> SERVED.matcher(alpha.log()).find(), Duration.ofSeconds(30),
                    () -> "alpha to say where its metrics are: " + alpha.log());
            Await.until(() -> beta.log().contains(", no metrics"), Duration.ofSeconds(30),
                    () -> "beta to say it serves no metrics: " + beta.log());
            Matcher m = SERVED.matcher(alpha.log());
            assertTrue(m.find());
            URI metrics = URI.create(m.group(1));

            XlpcProcess.Result created = XlpcProcess.run(ENV, "--daemon", alpha.address, "create", "vm", "--memory",
                    "64", "--workload", "stress-write:8M");
            assertEquals(0, created.exit(), created.err());
            XlpcProcess.Result migrated = XlpcProcess.run(ENV, "--daemon", alpha.address, "migrate", "--json", "vm",
                    beta.address);
            assertEquals(0, migrated.exit(), migrated.err());
            MigrationReport r = MigrationReport.fromJson(migrated.out());

            String page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(metrics)
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(page.contains("\nxlpc_migrations_finished_total{outcome=\"completed\",role=\"source\"} 1.0\n"),
                    page);
            assertTrue(page.contains("\nxlpc_pages_sent_total " + (double) r.pagesTransferred() + "\n"), page);
            assertTrue(page.contains("\nxlpc_downtime_seconds_count 1\n"), page);
            assertTrue(page.contains("\nxlpc_migrations{phase=\"postcopy\",role=\"source\"} 0.0\n"), page);
        }
    }
}
