package org.xenpostcopy.migration.control;

import org.xenpostcopy.migration.RemoteError;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import org.xenpostcopy.balloon.BalloonStatus;
import org.xenpostcopy.balloon.SelfBallooningController;
import org.xenpostcopy.migration.pager.PageOutResult;
import org.xenpostcopy.migration.pager.PageOutRun;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.XenStore;

/**
 * The daemon's side of the {@code xlpc} commands, on one host: it checks each request, acts on the host, and
 * turns host errors into {@link ControlException}s whose message is the user's one line. Who may call is decided
 * before a call gets here (see {@link SharedToken}).
 */
public final class HostControlService implements DaemonControl, AutoCloseable {
    private static final Logger LOG = System.getLogger(HostControlService.class.getName());
    static final int MAX_PAGE_OUT_HOLD_MS = 60_000;

    private final XenHost host;
    private final SelfBallooningController dsb;
    private final MigrationRuns migrations;

    /**
     * @param dsb      the host's self-ballooning controller ({@code xlpc dsb}; destroying a domain stops it first)
     * @param migrator runs the migrations clients start
     */
    public HostControlService(XenHost host, SelfBallooningController dsb, Migrator migrator) {
        this.host = host;
        this.dsb = dsb;
        this.migrations = new MigrationRuns(migrator);
    }

    /** A domain by name or numeric id. */
    private DomainId resolve(String domain) {
        if (domain == null || domain.isBlank()) {
            throw ControlException.badRequest("no domain given");
        }
        if (domain.chars().allMatch(Character::isDigit)) {
            try {
                DomainId id = DomainId.of(Integer.parseInt(domain));
                host.domains().info(id);
                return id;
            } catch (XenException | IllegalArgumentException e) {
                throw new ControlException(RemoteError.NO_SUCH_DOMAIN, "no domain " + domain + " on " + host.describe());
            }
        }
        return host.domains().lookup(domain).orElseThrow(() -> new ControlException(RemoteError.NO_SUCH_DOMAIN,
                "no domain '" + domain + "' on " + host.describe()));
    }

    private static ControlException hostError(XenException e) {
        return new ControlException(RemoteError.HOST_ERROR, e.getMessage(), e);
    }

    private static DomainSummary summary(DomainInfo d, String guest) {
        return new DomainSummary(d.id(), d.name(), d.totPages() * 4, d.maxPages() * 4,
                d.state().name().toLowerCase(Locale.ROOT), d.vcpus(), guest);
    }

    @Override
    public String describe() {
        return host.describe();
    }

    @Override
    public List<DomainSummary> listDomains() {
        List<DomainSummary> out = new ArrayList<>();
        try {
            for (DomainInfo d : host.domains().list()) {
                String guest = "";
                long sizeKiB = d.maxPages() * 4;
                if (d.id().value() != 0) {
                    try {
                        DomainConfig config = host.domains().config(d.id());
                        guest = config.guest();
                        sizeKiB = config.memoryPages() * 4;   // what a destination's admission will ask room for
                    } catch (XenException e) {
                        guest = "?";   // a domain the toolstack made without us: list it anyway
                    }
                }
                DomainSummary s = summary(d, guest).withSizeKiB(sizeKiB);
                String migration = migrations.describe(d.id());
                out.add(migration.isEmpty() ? s : s.withMigration(migration));
            }
        } catch (XenException e) {
            throw hostError(e);
        }
        return out;
    }

    @Override
    public OptionalLong freeMemoryKiB() {
        try {
            return host.domains().freeMemoryKiB();
        } catch (XenException e) {
            throw hostError(e);
        }
    }

    @Override
    public DomainSummary create(String name, long memoryMiB, int vcpus, String workload, long seed) {
        DomainConfig config;
        try {
            config = DomainConfig.ofMiB(name, memoryMiB, vcpus, workload, seed);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw ControlException.badRequest(e.getMessage());
        }
        try {
            DomainId id = host.domains().create(config, true);
            host.domains().unpause(id);
            return summary(host.domains().info(id), workload);
        } catch (XenException e) {
            throw hostError(e);
        }
    }

    @Override
    public void destroy(String domain) {
        DomainId id = resolve(domain);
        dsb.stop(id, false);
        try {
            host.domains().destroy(id);
        } catch (XenException e) {
            throw hostError(e);
        }
    }

    @Override
    public void memSet(String domain, long memoryMiB) {
        DomainId id = resolve(domain);
        if (memoryMiB <= 0) {
            throw ControlException.badRequest("memory must be a positive number of MiB, not " + memoryMiB);
        }
        long kib = memoryMiB * 1024;
        String home = XenStore.domainPath(id);
        try {
            // As xl mem-set: one transaction, refused above static-max, max memory raised to the target + 1 MiB.
            String refusal = host.store().inTransaction(tx -> {
                long staticMax = tx.read(home + "/memory/static-max").map(String::trim).filter(s -> s.matches("\\d+"))
                        .map(Long::parseLong).orElse(-1L);
                if (staticMax < 0) {
                    return home + "/memory/static-max is missing or not a number";
                }
                if (kib > staticMax) {
                    return memoryMiB + " MiB is above the domain's static-max of " + staticMax / 1024 + " MiB";
                }
                tx.write(home + "/memory/target", Long.toString(kib));
                return null;
            });
            if (refusal != null) {
                throw ControlException.badRequest(refusal);
            }
            host.domains().setMaxMemoryKiB(id, kib + 1024);
        } catch (XenException e) {
            throw hostError(e);
        }
    }

    @Override
    public String dsb(DsbAction action, String domain) {
        DomainId id = resolve(domain);
        try {
            return switch (action) {
                case START -> {
                    dsb.start(id);
                    yield "self-ballooning started for " + domain + " (every " + dsb.policy().interval().toMillis() + " ms)";
                }
                case STOP -> {
                    if (!dsb.isManaging(id)) {
                        yield "self-ballooning was not running for " + domain;
                    }
                    dsb.stop(id, true);
                    yield "self-ballooning stopped for " + domain + "; memory target restored";
                }
                case STATUS -> dsb.status(id).map(HostControlService::describe)
                        .orElse("self-ballooning is not running for " + domain);
            };
        } catch (IllegalArgumentException | XenException e) {
            // The controller's refusals (no balloon driver, already managed, ...) are the request's problem.
            throw ControlException.badRequest(e.getMessage());
        }
    }

    private static String describe(BalloonStatus s) {
        return String.format("self-ballooning %s: target %d KiB (was %d), used %d KiB, free %d KiB, pressure events %d, "
                        + "%d adjustments; last: %s%s", s.domain(), s.targetKiB(), s.originalTargetKiB(), s.usedKiB(),
                s.freeKiB(), s.pressureEvents(), s.adjustments(), s.lastDecision(),
                s.problem() == null ? "" : "; problem: " + s.problem());
    }

    @Override
    public PageOutResult pageOut(String domain, long pages, int holdMs) {
        DomainId id = resolve(domain);
        if (pages <= 0) {
            throw ControlException.badRequest("page-out needs a positive number of pages, not " + pages);
        }
        if (holdMs < 0 || holdMs > MAX_PAGE_OUT_HOLD_MS) {
            throw ControlException.badRequest("page-out hold must be 0.." + MAX_PAGE_OUT_HOLD_MS + " ms, not " + holdMs);
        }
        try {
            PageOutResult r = new PageOutRun(host, id).run(pages, holdMs,
                    left -> LOG.log(Level.DEBUG, "{0}: {1} pages still out", domain, left));
            LOG.log(Level.INFO, "{0}: {1}", domain, r.summary());
            return r;
        } catch (XenException e) {
            throw hostError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlException(RemoteError.HOST_ERROR, "page-out of " + domain + " interrupted");
        }
    }

    @Override
    public String startMigration(MigrateRequest request) {
        DomainId id = resolve(request.domain());
        return migrations.start(id, request.domain(), request.destination(), request.options(), request.turn());
    }

    @Override
    public MigrationStatus migrationStatus(String id, int waitMs) {
        return migrations.status(id, waitMs);
    }

    @Override
    public String failBackMigration(String id) {
        return migrations.failBack(id);
    }

    @Override
    public String retryMigration(String id) {
        return migrations.retry(id);
    }

    /** Stops the migrations still running for clients (their threads are interrupted). */
    @Override
    public void close() {
        migrations.close();
    }
}
