package org.xenpostcopy.migration.daemon;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code GET /metrics} of one daemon over plain HTTP, on an address of its own (not the Thrift port: a scraper
 * speaks neither Thrift nor the daemon's TLS). Plain on purpose: the page carries counts and phase names, no guest
 * memory and no secret. One thread answers scrapes; a scrape reads counters and never waits on a migration.
 */
public final class MetricsEndpoint implements AutoCloseable {
    private final HTTPServer server;
    private final ExecutorService threads;
    private final InetSocketAddress address;

    private MetricsEndpoint(HTTPServer server, ExecutorService threads, InetSocketAddress address) {
        this.server = server;
        this.threads = threads;
        this.address = address;
    }

    /**
     * Serves {@code metrics} at {@code http://bind/metrics} (port 0: any free port, see {@link #address}).
     *
     * @throws UncheckedIOException if the address cannot be bound, its message naming the address and the cause
     */
    public static MetricsEndpoint serve(DaemonMetrics metrics, InetSocketAddress bind) {
        String host = bind.getHostString();
        ExecutorService threads = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "xlpc-metrics");
            t.setDaemon(true);
            return t;
        });
        try {
            HTTPServer server = HTTPServer.builder().hostname(host).port(bind.getPort())
                    .registry(metrics.registry()).executorService(threads).buildAndStart();
            return new MetricsEndpoint(server, threads, InetSocketAddress.createUnresolved(host, server.getPort()));
        } catch (IOException e) {
            threads.shutdownNow();
            throw new UncheckedIOException("cannot serve metrics on " + host + ":" + bind.getPort() + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
    }

    /** Where it listens, with the port it got. */
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public void close() {
        server.close();
        threads.shutdownNow();
    }
}
