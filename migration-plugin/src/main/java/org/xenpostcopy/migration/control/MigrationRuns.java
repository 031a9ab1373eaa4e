package org.xenpostcopy.migration.control;

import org.xenpostcopy.migration.RemoteError;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.XenException;

/**
 * The migrations a daemon runs for its clients, by id. Each runs on its own thread, so the client's call returns at
 * once and the client long-polls {@link #status}; an id is forgotten once its finished status has been handed out.
 */
final class MigrationRuns implements AutoCloseable {
    private static final Logger LOG = System.getLogger(MigrationRuns.class.getName());
    /** The longest a status call may wait, so a client's read timeout always outlasts it. */
    static final int MAX_WAIT_MS = 60_000;

    private final Migrator migrator;
    private final Map<String, MigrationTracker> migrations = new ConcurrentHashMap<>();
    /** What an administrator's fail-back did, by the id of the failed migration it followed. */
    private final Map<String, String> failedBack = new ConcurrentHashMap<>();
    /** The domain each migration moves, by the migration's id. */
    private final Map<String, DomainId> domains = new ConcurrentHashMap<>();
    private final ExecutorService runner = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "xlpc-migration");
        t.setDaemon(true);
        return t;
    });

    MigrationRuns(Migrator migrator) {
        this.migrator = migrator;
    }

    /** Starts migrating {@code id} ({@code name} as the client spelled it, for the log); returns the migration's id. */
    String start(DomainId id, String name, InetSocketAddress dest, MigrationOptions options,
                 Optional<MigrateRequest.LinkTurn> turn) {
        String migrationId = UUID.randomUUID().toString();
        MigrationTracker tracker = new MigrationTracker("migration of " + name + " (" + id + ") to "
                + dest.getHostString() + ":" + dest.getPort());
        migrations.put(migrationId, tracker);
        domains.put(migrationId, id);
        runner.execute(() -> run(id, dest, options, turn, tracker));
        return migrationId;
    }

    private void run(DomainId id, InetSocketAddress dest, MigrationOptions options,
                     Optional<MigrateRequest.LinkTurn> turn, MigrationTracker tracker) {
        try {
            MigrationReport report = migrator.migrate(id, dest, options, tracker, turn);
            LOG.log(Level.INFO, "migration of {0} done: {1} pages, downtime {2} ms", id, report.pagesTransferred(),
                    String.format("%.1f", report.downtimeMs()));
            tracker.finished(report);
        } catch (MigrationException | XenException | IllegalArgumentException | IllegalStateException e) {
            // Expected failures: their message is the sentence the client shows.
            LOG.log(Level.WARNING, "migration of {0} failed: {1}", id, e.getMessage());
            tracker.failed(e.getMessage());
        } catch (RuntimeException e) {
            // A bug: the stack trace goes to the daemon's log, the client gets at least the exception's name.
            LOG.log(Level.ERROR, "migration of " + id + " failed", e);
            tracker.failed(e.toString());
        }
    }

    /**
     * The status of migration {@code id}, after waiting up to {@code waitMs} for anything to change.
     *
     * @throws ControlException {@link RemoteError#UNKNOWN_SESSION} for an id this daemon does not know (any more)
     */
    MigrationStatus status(String id, int waitMs) {
        MigrationTracker tracker = id == null ? null : migrations.get(id);
        if (tracker == null) {
            throw new ControlException(RemoteError.UNKNOWN_SESSION, "no migration with id '" + id + "' on this daemon");
        }
        MigrationTracker.Snapshot s;
        try {
            s = tracker.await(-1, 0);
            if (!s.finished()) {
                s = tracker.await(s.version(), Math.max(0, Math.min(waitMs, MAX_WAIT_MS)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlException(RemoteError.TIMEOUT, "interrupted");
        }
        String error = s.error();
        String phase = s.phase();
        if (s.finished()) {
            DomainId domain = domains.get(id);
            String back = failedBack.get(id);
            if (back != null) {
                phase = "failed back";
                error = error + "; an administrator failed it back: " + back;
            }
            if (back == null && domain != null && migrator.holdsCopy(domain)) {
                // Kept, so that the administrator can still order the fail-back by this id.
                error = error + "; xlpc migrate --fail-back " + id + " brings the guest back here from its last"
                        + " checkpoint";
            } else {
                migrations.remove(id, tracker);
                domains.remove(id);
                failedBack.remove(id);
            }
        }
        return new MigrationStatus(phase, s.done(), s.total(), s.faults(), s.finished(),
                Optional.ofNullable(s.report()), Optional.ofNullable(error));
    }

    /**
     * Brings the guest of migration {@code id} back here from its last checkpoint; returns what was done.
     *
     * @throws ControlException {@link RemoteError#UNKNOWN_SESSION} for an id this daemon does not know (any more),
     *                          {@link RemoteError#WRONG_STATE} with the reason when it is not safe
     */
    String failBack(String id) {
        MigrationTracker tracker = id == null ? null : migrations.get(id);
        DomainId domain = id == null ? null : domains.get(id);
        if (tracker == null || domain == null) {
            throw new ControlException(RemoteError.UNKNOWN_SESSION, "no migration with id '" + id + "' on this daemon");
        }
        String done;
        try {
            done = migrator.failBack(domain);
        } catch (MigrationException | XenException e) {
            throw new ControlException(RemoteError.WRONG_STATE, e.getMessage(), e);
        }
        try {
            if (tracker.await(-1, 0).finished()) {
                failedBack.put(id, done);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return done;
    }

    /** The migration of {@code domain} this daemon runs, as "phase (id)", or empty if none. */
    String describe(DomainId domain) {
        for (Map.Entry<String, DomainId> e : domains.entrySet()) {
            MigrationTracker tracker = migrations.get(e.getKey());
            if (e.getValue().equals(domain) && tracker != null) {
                try {
                    MigrationTracker.Snapshot s = tracker.await(-1, 0);
                    if (!s.finished()) {
                        return s.phase() + " (" + e.getKey() + ")";
                    }
                    if (failedBack.containsKey(e.getKey())) {
                        return "failed back (" + e.getKey() + ")";
                    }
                    if (migrator.holdsCopy(domain)) {
                        return "failed, copy held paused here (" + e.getKey() + "; --fail-back possible)";
                    }
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return "";
                }
            }
        }
        return "";
    }

    /**
     * Asks migration {@code id} to reconnect now if its link is cut; returns the phase it was in.
     *
     * @throws ControlException {@link RemoteError#UNKNOWN_SESSION} for an id this daemon does not know (any more)
     */
    String retry(String id) {
        MigrationTracker tracker = id == null ? null : migrations.get(id);
        DomainId domain = id == null ? null : domains.get(id);
        if (tracker == null || domain == null) {
            throw new ControlException(RemoteError.UNKNOWN_SESSION, "no migration with id '" + id + "' on this daemon");
        }
        String phase;
        try {
            phase = tracker.await(-1, 0).phase();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlException(RemoteError.TIMEOUT, "interrupted");
        }
        migrator.retryNow(domain);
        return phase;
    }

    @Override
    public void close() {
        runner.shutdownNow();
    }
}
