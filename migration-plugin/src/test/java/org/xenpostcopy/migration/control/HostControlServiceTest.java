package org.xenpostcopy.migration.control;

import org.xenpostcopy.migration.RemoteError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.balloon.BalloonPolicy;
import org.xenpostcopy.balloon.SelfBallooningController;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;

/** The control service on an emulated host, with a stand-in {@link Migrator}: no agent, no wire. */
class HostControlServiceTest {
    private static final InetSocketAddress DEST = InetSocketAddress.createUnresolved("peer", 7410);

    private final EmulatedXenHost host = new EmulatedXenHost("h");
    private final SelfBallooningController dsb = new SelfBallooningController(host.store(), BalloonPolicy.defaults());
    private final AtomicReference<Migrator> migrator = new AtomicReference<>();
    private final HostControlService service = new HostControlService(host, dsb,
            (domain, destination, options, progress, turn) -> migrator.get().migrate(domain, destination, options, progress, turn));

    @AfterEach
    void close() {
        service.close();
        dsb.close();
        host.close();
    }

    @Test
    void createdDomainsAreListedWithTheirGuest() {
        DomainSummary vm = service.create("vm", 16, 1, "idle", 1);
        assertEquals("vm", vm.name());
        assertEquals(16 * 1024, vm.maxMemoryKiB());
        List<DomainSummary> all = service.listDomains();
        assertEquals(2, all.size(), all.toString());
        assertEquals(DomainId.DOM0, all.get(0).id());
        assertEquals("", all.get(0).guest());
        assertEquals(vm, all.get(1));
        assertEquals("idle", all.get(1).guest());
    }

    @Test
    void anUnknownDomainIsNamedInTheRefusal() {
        ControlException byName = assertThrows(ControlException.class, () -> service.destroy("ghost"));
        assertEquals(RemoteError.NO_SUCH_DOMAIN, byName.error());
        assertEquals("no domain 'ghost' on emulated host 'h'", byName.getMessage());
        ControlException byId = assertThrows(ControlException.class, () -> service.memSet("42", 64));
        assertEquals("no domain 42 on emulated host 'h'", byId.getMessage());
        assertEquals(RemoteError.BAD_REQUEST, assertThrows(ControlException.class, () -> service.destroy(" ")).error());
    }

    @Test
    void memSetAboveStaticMaxIsABadRequest() {
        service.create("vm", 16, 1, "idle", 1);
        ControlException e = assertThrows(ControlException.class, () -> service.memSet("vm", 32));
        assertEquals(RemoteError.BAD_REQUEST, e.error());
        assertEquals("32 MiB is above the domain's static-max of 16 MiB", e.getMessage());
    }

    @Test
    void aFailedMigrationReportsItsSentenceOnceThenItsIdIsForgotten() {
        DomainId vm = service.create("vm", 16, 1, "idle", 1).id();
        AtomicReference<DomainId> asked = new AtomicReference<>();
        migrator.set((domain, destination, options, progress, turn) -> {
            asked.set(domain);
            progress.update("prepare", 0, 10, 0);
            throw new MigrationException("cannot reach the daemon at peer:7410; the guest runs here");
        });
        String id = service.startMigration(new MigrateRequest("vm", DEST, MigrationOptions.defaults()));
        MigrationStatus s = awaitFinished(id);
        assertEquals("failed", s.phase());
        assertEquals("cannot reach the daemon at peer:7410; the guest runs here", s.error().orElseThrow());
        assertFalse(s.report().isPresent());
        assertEquals(vm, asked.get());
        ControlException gone = assertThrows(ControlException.class, () -> service.migrationStatus(id, 0));
        assertEquals(RemoteError.UNKNOWN_SESSION, gone.error());
    }

    @Test
    void aFinishedMigrationHandsOverItsReport() {
        service.create("vm", 16, 1, "idle", 1);
        MigrationReport report = new MigrationReport("postcopy", "bubble", false, 1, 1, 1, "guest", 1, 1, 1, 0, 0, 0,
                -1, 0, 0, -1, -1, new MigrationReport.FaultLatency(0, 0, 0), MigrationReport.FaultLatency.UNKNOWN, -1, -1, true, 0, "", 0, 0, 1, 2, 0, MigrationReport.Recovery.NONE);
        migrator.set((domain, destination, options, progress, turn) -> report);
        String id = service.startMigration(new MigrateRequest("vm", DEST, MigrationOptions.defaults()));
        MigrationStatus s = awaitFinished(id);
        assertEquals("done", s.phase());
        assertEquals(report, s.report().orElseThrow());
    }

    @Test
    void migratingAnUnknownDomainIsRefusedAtOnce() {
        ControlException e = assertThrows(ControlException.class,
                () -> service.startMigration(new MigrateRequest("ghost", DEST, MigrationOptions.defaults())));
        assertEquals(RemoteError.NO_SUCH_DOMAIN, e.error());
    }

    private MigrationStatus awaitFinished(String id) {
        for (int i = 0; i < 100; i++) {
            MigrationStatus s = service.migrationStatus(id, 1000);
            if (s.finished()) {
                return s;
            }
        }
        throw new AssertionError("migration " + id + " did not finish");
    }
}
