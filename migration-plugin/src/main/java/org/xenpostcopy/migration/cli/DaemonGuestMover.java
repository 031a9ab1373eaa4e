package org.xenpostcopy.migration.cli;

import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Map;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.control.MigrateRequest;
import org.xenpostcopy.migration.control.MigrationStatus;
import org.xenpostcopy.migration.evacuation.GuestMover;
import org.xenpostcopy.migration.evacuation.Placement;
import org.xenpostcopy.migration.protocol.DaemonConnection;
import org.xenpostcopy.migration.report.MigrationReport;

/**
 * Moves one guest of an evacuation as {@code xlpc migrate} would: asks the source's daemon to start the migration,
 * then follows its status into the view until it ends. Each guest gets its own control connection, since the
 * migrations run on several threads and a connection carries one call at a time.
 */
final class DaemonGuestMover implements GuestMover {
    private static final int STATUS_WAIT_MS = 500;

    private final XlpcConfig config;
    private final InetSocketAddress source;
    private final Map<String, InetSocketAddress> destinations;
    private final MigrationOptions options;
    private final EvacuationView view;

    /** @param destinations every candidate host by the name the plan uses */
    DaemonGuestMover(XlpcConfig config, InetSocketAddress source, Map<String, InetSocketAddress> destinations,
                     MigrationOptions options, EvacuationView view) {
        this.config = config;
        this.source = source;
        this.destinations = Map.copyOf(destinations);
        this.options = options;
        this.view = view;
    }

    @Override
    public MigrationReport move(Placement.Assignment a) {
        String guest = a.guest().name();
        try (DaemonConnection daemon = DaemonClient.connect(config, source)) {
            String id = daemon.startMigration(new MigrateRequest(guest, destinations.get(a.host()), options));
            MigrationStatus s;
            for (s = daemon.migrationStatus(id, STATUS_WAIT_MS); !s.finished(); s = daemon.migrationStatus(id, STATUS_WAIT_MS)) {
                view.update(guest, s.phase(), s.pagesDone(), s.pagesTotal(), s.networkFaults());
            }
            if (s.error().isPresent()) {
                throw new CliException(s.error().get());
            }
            MigrationReport r = s.report().orElseThrow(() -> new CliException("finished without a report"));
            view.finished(guest, "done", String.format(Locale.ROOT, "%d pages in %.1f s, downtime %.1f ms, %d network "
                    + "faults, %s", r.pagesTransferred(), r.totalMigrationMs() / 1000, r.downtimeMs(), r.networkFaults(),
                    r.verified() ? "verified" : "NOT verified"));
            return r;
        } catch (RuntimeException e) {
            view.finished(guest, "failed", Xlpc.message(e));
            throw e;
        }
    }
}
