package org.xenpostcopy.migration.cli;

import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.control.ControlException;
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
 *
 * <p>The migration runs in the source's daemon, not here: a control connection that breaks while following it (a
 * loaded daemon missing its handshake deadline, a reset) says nothing about the migration, so the mover reconnects
 * and asks again by the migration's id, for up to {@link #RECONNECT_FOR_NANOS}, rather than call a guest failed
 * that may well have moved. A connection that fails before the start is retried the same way: no request was sent.
 */
final class DaemonGuestMover implements GuestMover {
    private static final int STATUS_WAIT_MS = 500;
    private static final long RECONNECT_FOR_NANOS = TimeUnit.MINUTES.toNanos(2);
    private static final long RECONNECT_PAUSE_MS = 1000;

    private final CommandSecurity security;
    private final InetSocketAddress source;
    private final Map<String, InetSocketAddress> destinations;
    private final MigrationOptions options;
    private final EvacuationView view;
    private final Function<Placement.Assignment, Optional<MigrateRequest.LinkTurn>> turns;

    /** @param destinations every candidate host by the name the plan uses */
    DaemonGuestMover(CommandSecurity security, InetSocketAddress source, Map<String, InetSocketAddress> destinations,
                     MigrationOptions options, EvacuationView view) {
        this(security, source, destinations, options, view, a -> Optional.empty());
    }

    /** @param turns each guest's turn at the source's link, if the migrations take turns there */
    DaemonGuestMover(CommandSecurity security, InetSocketAddress source, Map<String, InetSocketAddress> destinations,
                     MigrationOptions options, EvacuationView view,
                     Function<Placement.Assignment, Optional<MigrateRequest.LinkTurn>> turns) {
        this.turns = turns;
        this.security = security;
        this.source = source;
        this.destinations = Map.copyOf(destinations);
        this.options = options;
        this.view = view;
    }

    @Override
    public MigrationReport move(Placement.Assignment a, Runnable linkDone) throws InterruptedException {
        String guest = a.guest().name();
        try {
            MigrationStatus s = follow(guest, a.host(), turns.apply(a), linkDone);
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

    /** Starts the migration and follows it to its final status, across broken control connections. */
    private MigrationStatus follow(String guest, String host, Optional<MigrateRequest.LinkTurn> turn,
                                   Runnable linkDone) throws InterruptedException {
        String id = null;
        long brokenSince = 0;
        while (true) {
            DaemonConnection daemon = null;
            try {
                daemon = DaemonClient.connect(source, security);
                if (id == null) {
                    id = daemon.startMigration(new MigrateRequest(guest, destinations.get(host), options, turn));
                }
                brokenSince = 0;
                for (MigrationStatus s = daemon.migrationStatus(id, STATUS_WAIT_MS); ; s = daemon.migrationStatus(id,
                        STATUS_WAIT_MS)) {
                    if (s.finished()) {
                        return s;
                    }
                    view.update(guest, s.phase(), s.pagesDone(), s.pagesTotal(), s.networkFaults());
                    if (s.phase().equals(MigrationProgress.LAST_PAGE_SENT)) {
                        linkDone.run();
                    }
                }
            } catch (ControlException | CliException e) {
                boolean connection = e instanceof CliException || ((ControlException) e).error() == RemoteError.CONNECTION;
                if (!connection) {
                    throw e;   // the daemon's considered answer: the migration was refused or is unknown
                }
                long now = System.nanoTime();
                brokenSince = brokenSince == 0 ? now : brokenSince;
                if (now - brokenSince > RECONNECT_FOR_NANOS) {
                    throw new CliException((id == null ? "could not start: " : "lost track of migration " + id
                            + " (xlpc migrate --status " + id + "): ") + Xlpc.message(e), 1, e);
                }
                view.update(guest, "reconnecting", 0, 0, 0);
                // A pause between attempts, so a daemon that refuses connections is not hammered; not a wait for
                // a condition, which the next attempt checks.
                TimeUnit.MILLISECONDS.sleep(RECONNECT_PAUSE_MS);
            } finally {
                if (daemon != null) {
                    daemon.close();
                }
            }
        }
    }
}
