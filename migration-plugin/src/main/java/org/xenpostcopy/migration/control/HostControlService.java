package org.xenpostcopy.migration.control;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.xenpostcopy.balloon.BalloonStatus;
import org.xenpostcopy.balloon.SelfBallooningController;
import org.xenpostcopy.migration.HostAgent;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.pager.PageOutResult;
import org.xenpostcopy.migration.pager.PageOutRun;
import org.xenpostcopy.migration.protocol.Wire;
import org.xenpostcopy.migration.protocol.thrift.HostControl;
import org.xenpostcopy.migration.protocol.thrift.TDomainInfo;
import org.xenpostcopy.migration.protocol.thrift.TErrorCode;
import org.xenpostcopy.migration.protocol.thrift.TMigrateRequest;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;
import org.xenpostcopy.migration.protocol.thrift.TMigrationStatus;
import org.xenpostcopy.migration.protocol.thrift.TPageOutResult;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.XenStore;

/** The daemon's side of the {@code xlpc} commands. Every call carries the shared token, checked first. */
public final class HostControlService implements HostControl.Iface {
    private static final Logger LOG = System.getLogger(HostControlService.class.getName());

    private final HostAgent agent;
    private final byte[] token;
    private final Map<String, MigrationTracker> migrations = new ConcurrentHashMap<>();
    private final ExecutorService runner = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "xlpc-migration");
        t.setDaemon(true);
        return t;
    });

    /** @param token the shared token clients must present; empty = no check (loopback-only setups) */
    public HostControlService(HostAgent agent, String token) {
        this.agent = agent;
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    private XenHost host() {
        return agent.host();
    }

    private void auth(String presented) throws TMigrationError {
        if (token.length == 0) {
            return;
        }
        byte[] p = presented == null ? new byte[0] : presented.getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(token, p)) {
            throw Wire.error(TErrorCode.UNAUTHORIZED, "wrong or missing token for this daemon (set token= in the config or XLPC_TOKEN)");
        }
    }

    /** A domain by name or numeric id. */
    private DomainId resolve(String domain) throws TMigrationError {
        if (domain == null || domain.isBlank()) {
            throw Wire.badRequest("no domain given");
        }
        if (domain.chars().allMatch(Character::isDigit)) {
            try {
                DomainId id = DomainId.of(Integer.parseInt(domain));
                host().domains().info(id);
                return id;
            } catch (XenException | IllegalArgumentException e) {
                throw Wire.error(TErrorCode.NO_SUCH_DOMAIN, "no domain " + domain + " on " + host().describe());
            }
        }
        return host().domains().lookup(domain).orElseThrow(() ->
                Wire.error(TErrorCode.NO_SUCH_DOMAIN, "no domain '" + domain + "' on " + host().describe()));
    }

    private static TMigrationError hostError(XenException e) {
        return Wire.error(TErrorCode.HOST_ERROR, e.getMessage());
    }

    @Override
    public String describe(String t) throws TMigrationError {
        auth(t);
        return host().describe();
    }

    @Override
    public List<TDomainInfo> listDomains(String t) throws TMigrationError {
        auth(t);
        List<TDomainInfo> out = new ArrayList<>();
        try {
            for (DomainInfo d : host().domains().list()) {
                String guest = "";
                if (d.id().value() != 0) {
                    try {
                        guest = host().domains().config(d.id()).guest();
                    } catch (XenException e) {
                        guest = "?";
                    }
                }
                out.add(new TDomainInfo(d.id().value(), d.name(), d.totPages() * 4, d.maxPages() * 4,
                        d.state().name().toLowerCase(java.util.Locale.ROOT), d.vcpus(), guest));
            }
        } catch (XenException e) {
            throw hostError(e);
        }
        return out;
    }

    @Override
    public TDomainInfo create(String t, String name, long memoryMiB, String workload, long seed) throws TMigrationError {
        auth(t);
        DomainConfig config;
        try {
            config = DomainConfig.ofMiB(name, memoryMiB, workload, seed);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw Wire.badRequest(e.getMessage());
        }
        try {
            DomainId id = host().domains().create(config, true);
            host().domains().unpause(id);
            DomainInfo d = host().domains().info(id);
            return new TDomainInfo(id.value(), d.name(), d.totPages() * 4, d.maxPages() * 4,
                    d.state().name().toLowerCase(java.util.Locale.ROOT), d.vcpus(), workload);
        } catch (XenException e) {
            throw hostError(e);
        }
    }

    @Override
    public void destroy(String t, String domain) throws TMigrationError {
        auth(t);
        DomainId id = resolve(domain);
        agent.dsb().stop(id, false);
        try {
            host().domains().destroy(id);
        } catch (XenException e) {
            throw hostError(e);
        }
    }

    @Override
    public void memSet(String t, String domain, long memoryMiB) throws TMigrationError {
        auth(t);
        DomainId id = resolve(domain);
        if (memoryMiB <= 0) {
            throw Wire.badRequest("memory must be a positive number of MiB, not " + memoryMiB);
        }
        long kib = memoryMiB * 1024;
        String home = XenStore.domainPath(id);
        try {
            // As xl mem-set: one transaction, refused above static-max, max memory raised to the target + 1 MiB.
            String refusal = host().store().inTransaction(tx -> {
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
                throw Wire.badRequest(refusal);
            }
            host().domains().setMaxMemoryKiB(id, kib + 1024);
        } catch (XenException e) {
            throw hostError(e);
        }
    }

    @Override
    public String dsb(String t, String action, String domain) throws TMigrationError {
        auth(t);
        DomainId id = resolve(domain);
        SelfBallooningController c = agent.dsb();
        try {
            switch (action == null ? "" : action) {
                case "start" -> {
                    c.start(id);
                    return "self-ballooning started for " + domain + " (every " + c.policy().interval().toMillis() + " ms)";
                }
                case "stop" -> {
                    if (!c.isManaging(id)) {
                        return "self-ballooning was not running for " + domain;
                    }
                    c.stop(id, true);
                    return "self-ballooning stopped for " + domain + "; memory target restored";
                }
                case "status" -> {
                    return c.status(id).map(HostControlService::describe)
                            .orElse("self-ballooning is not running for " + domain);
                }
                default -> throw Wire.badRequest("dsb action must be start, stop or status, not '" + action + "'");
            }
        } catch (IllegalArgumentException | XenException e) {
            throw Wire.badRequest(e.getMessage());
        }
    }

    private static String describe(BalloonStatus s) {
        return String.format("self-ballooning %s: target %d KiB (was %d), used %d KiB, free %d KiB, pressure events %d, "
                        + "%d adjustments; last: %s%s", s.domain(), s.targetKiB(), s.originalTargetKiB(), s.usedKiB(),
                s.freeKiB(), s.pressureEvents(), s.adjustments(), s.lastDecision(),
                s.problem() == null ? "" : "; problem: " + s.problem());
    }

    static final int MAX_PAGE_OUT_HOLD_MS = 60_000;

    @Override
    public TPageOutResult pageOut(String t, String domain, long pages, int holdMs) throws TMigrationError {
        auth(t);
        DomainId id = resolve(domain);
        if (pages <= 0) {
            throw Wire.badRequest("page-out needs a positive number of pages, not " + pages);
        }
        if (holdMs < 0 || holdMs > MAX_PAGE_OUT_HOLD_MS) {
            throw Wire.badRequest("page-out hold must be 0.." + MAX_PAGE_OUT_HOLD_MS + " ms, not " + holdMs);
        }
        try {
            PageOutResult r = new PageOutRun(host(), id).run(pages, holdMs,
                    left -> LOG.log(Level.DEBUG, "{0}: {1} pages still out", domain, left));
            LOG.log(Level.INFO, "{0}: {1}", domain, r.summary());
            return new TPageOutResult(r.candidates(), r.evicted(), r.busy(), r.faultsServed(), r.loadedOnFault(),
                    r.loadedAtEnd(), r.foreignRequests(), r.pageOutMs(), r.holdMs());
        } catch (XenException e) {
            throw hostError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Wire.error(TErrorCode.HOST_ERROR, "page-out of " + domain + " interrupted");
        }
    }

    @Override
    public String startMigration(String t, TMigrateRequest r) throws TMigrationError {
        auth(t);
        DomainId id = resolve(r.getDomain());
        MigrationOptions options;
        try {
            options = MigrationOptions.defaults()
                    .withMode(MigrationMode.valueOf(r.getMode().toUpperCase(java.util.Locale.ROOT)))
                    .withPrePaging(PrePaging.parse(r.getPrepaging()))
                    .withDsb(r.isDsb())
                    .withLink(r.getLinkMbps(), r.getLinkLatencyMs())
                    .withVerify(r.isVerify())
                    .withPrecopyRounds(r.getPrecopyRounds())
                    .withBaselineMs(r.getBaselineMs());
        } catch (IllegalArgumentException | NullPointerException e) {
            throw Wire.badRequest(e.getMessage());
        }
        if (r.getDestinationPort() <= 0 || r.getDestinationPort() > 65535 || r.getDestinationHost() == null) {
            throw Wire.badRequest("bad destination " + r.getDestinationHost() + ":" + r.getDestinationPort());
        }
        InetSocketAddress dest = new InetSocketAddress(r.getDestinationHost(), r.getDestinationPort());
        String migrationId = UUID.randomUUID().toString();
        MigrationTracker tracker = new MigrationTracker("migration of " + r.getDomain() + " (" + id + ") to "
                + dest.getHostString() + ":" + dest.getPort());
        migrations.put(migrationId, tracker);
        runner.execute(() -> {
            try {
                MigrationReport report = agent.migrate(id, dest, options, tracker);
                LOG.log(Level.INFO, "migration of {0} done: {1} pages, downtime {2} ms", id, report.pagesTransferred(),
                        String.format("%.1f", report.downtimeMs()));
                tracker.finished(report);
            } catch (MigrationException | XenException | IllegalArgumentException | IllegalStateException e) {
                LOG.log(Level.WARNING, "migration of {0} failed: {1}", id, e.getMessage());
                tracker.failed(e.getMessage());
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "migration of " + id + " failed", e);
                tracker.failed(e.toString());
            }
        });
        return migrationId;
    }

    @Override
    public TMigrationStatus migrationStatus(String t, String id, int waitMs) throws TMigrationError {
        auth(t);
        MigrationTracker tracker = id == null ? null : migrations.get(id);
        if (tracker == null) {
            throw Wire.error(TErrorCode.UNKNOWN_SESSION, "no migration with id '" + id + "' on this daemon");
        }
        MigrationTracker.Snapshot s;
        try {
            s = tracker.await(-1, 0);
            if (!s.finished()) {
                s = tracker.await(s.version(), Math.max(0, Math.min(waitMs, 60_000)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Wire.error(TErrorCode.TIMEOUT, "interrupted");
        }
        TMigrationStatus out = new TMigrationStatus(s.phase(), s.done(), s.total(), s.faults(), s.finished());
        if (s.report() != null) {
            out.setReportJson(s.report().toJson());
        }
        if (s.error() != null) {
            out.setError(s.error());
        }
        if (s.finished()) {
            migrations.remove(id, tracker);
        }
        return out;
    }

    public void close() {
        runner.shutdownNow();
    }
}
