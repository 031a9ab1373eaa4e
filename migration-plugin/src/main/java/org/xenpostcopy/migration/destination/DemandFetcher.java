package org.xenpostcopy.migration.destination;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.thrift.TException;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.link.LinkShaper;
import org.xenpostcopy.migration.protocol.ThriftConnection;
import org.xenpostcopy.migration.protocol.Wire;
import org.xenpostcopy.migration.protocol.thrift.PageServer;
import org.xenpostcopy.migration.protocol.thrift.TFetchReply;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;
import org.xenpostcopy.migration.protocol.thrift.migrationConstants;

/**
 * The urgent path: its own connection to the source's page server and its own thread, so a demand request never
 * queues behind pushed pages. Faults that arrive while a fetch is in flight are sent together in the next one.
 */
final class DemandFetcher implements IncomingMigration.DemandQueue {
    private static final int CONNECT_TIMEOUT_MS = 10_000;
    private static final int READ_TIMEOUT_MS = 60_000;

    private final IncomingMigration migration;
    private final InetSocketAddress source;
    private final LinkShaper link;
    private final LinkedBlockingQueue<Long> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean stop;

    DemandFetcher(IncomingMigration migration, InetSocketAddress source, LinkShaper link) {
        this.migration = migration;
        this.source = source;
        this.link = link;
        this.thread = new Thread(this::run, "demand-fetcher-" + migration.domain);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    @Override
    public void request(long gfn) {
        queue.add(gfn);
    }

    private void run() {
        ThriftConnection conn;
        try {
            conn = ThriftConnection.open(source, CONNECT_TIMEOUT_MS);
            conn.setTimeout(READ_TIMEOUT_MS);
        } catch (MigrationException e) {
            migration.demandFailed(e.getMessage());
            return;
        }
        try (conn) {
            PageServer.Client pages = conn.pages();
            long[] gfns = new long[migrationConstants.MAX_BATCH_PAGES];
            while (!stop) {
                Long first = queue.poll(50, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                int n = 0;
                gfns[n++] = first;
                Long more;
                while (n < gfns.length && (more = queue.poll()) != null) {
                    gfns[n++] = more;
                }
                link.transmit(8L * n, true);
                link.propagate();
                TFetchReply reply = pages.fetch(migration.id, Wire.packGfns(gfns, n));
                if (reply.pages == null) {
                    throw Wire.badRequest("fetch reply without pages");
                }
                long[] got = Wire.unpackGfns(reply.pages.gfns, gfns.length, migration.gfnCount);
                ByteBuffer payload = reply.pages.pages;
                Wire.checkPages(payload, got.length);
                ByteBuffer page = payload.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                int base = page.position();
                for (int i = 0; i < got.length; i++) {
                    page.limit(base + (i + 1) * Wire.PAGE_SIZE).position(base + i * Wire.PAGE_SIZE);
                    migration.deliver(got[i], page);
                }
                // Pages named in alreadySent are on the push connection; they are answered when they land.
            }
        } catch (InterruptedException e) {
            // stopping
        } catch (TMigrationError e) {
            migration.demandFailed("the source refused a demand request: " + e.getMessage());
        } catch (TException e) {
            if (!stop) {
                migration.demandFailed(e.getMessage() == null ? e.toString() : e.getMessage());
            }
        }
    }

    void stop() {
        stop = true;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
