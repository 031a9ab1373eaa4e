package org.xenpostcopy.migration.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.net.InetSocketAddress;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.control.ControlException;
import org.xenpostcopy.migration.control.DomainSummary;
import org.xenpostcopy.migration.control.MigrateRequest;
import org.xenpostcopy.migration.control.MigrationStatus;
import org.xenpostcopy.migration.pager.PageOutResult;
import org.xenpostcopy.migration.protocol.thrift.TDomainInfo;
import org.xenpostcopy.migration.protocol.thrift.TErrorCode;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.DomainId;

/** What the handler sends, the client reads back as it was. */
class ControlWireTest {
    @Test
    void domainsAndPageOutResultsSurviveTheWire() {
        DomainSummary d = new DomainSummary(DomainId.of(7), "vm", 1, 2, "running", 3, "idle");
        assertEquals(d, ControlWire.toDomain(ControlWire.toWire(d)));
        DomainSummary shrunk = d.withSizeKiB(4096).withMigration("post-copy (m1)");
        assertEquals(shrunk, ControlWire.toDomain(ControlWire.toWire(shrunk)));
        // A daemon from before sizeKiB: the ceiling is the best the client can do.
        TDomainInfo older = ControlWire.toWire(shrunk);
        older.unsetSizeKiB();
        assertEquals(2, ControlWire.toDomain(older).sizeKiB());
        PageOutResult r = new PageOutResult(1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertEquals(r, ControlWire.toDomain(ControlWire.toWire(r)));
    }

    @Test
    void theOptionsAClientMayChooseSurviveTheWire() {
        MigrationOptions o = MigrationOptions.defaults().withMode(MigrationMode.PRECOPY).withPrePaging(PrePaging.PUSH)
                .withDsb(true).withLink(100, 3).withVerify(false).withPrecopyRounds(5).withBaselineMs(0);
        MigrateRequest r = new MigrateRequest("vm", InetSocketAddress.createUnresolved("localhost", 7411), o);
        MigrateRequest back = ControlWire.toDomain(ControlWire.toWire(r));
        assertEquals("vm", back.domain());
        assertEquals("localhost", back.destination().getHostString());
        assertEquals(7411, back.destination().getPort());
        assertEquals(o, back.options());
        assertEquals(Optional.empty(), back.turn(), "no turn asked, none given");
    }

    @Test
    void anEvacuationsTurnAtTheLinkSurvivesTheWireAndABadOneIsRefused() {
        MigrateRequest.LinkTurn turn = new MigrateRequest.LinkTurn("evacuation of h1 x", 2, 5);
        MigrateRequest r = new MigrateRequest("vm", InetSocketAddress.createUnresolved("localhost", 7411),
                MigrationOptions.defaults(), Optional.of(turn));
        assertEquals(Optional.of(turn), ControlWire.toDomain(ControlWire.toWire(r)).turn());

        org.xenpostcopy.migration.protocol.thrift.TMigrateRequest wire = ControlWire.toWire(r);
        wire.setTurnPlaces(0);
        ControlException e = org.junit.jupiter.api.Assertions.assertThrows(ControlException.class,
                () -> ControlWire.toDomain(wire));
        assertEquals(org.xenpostcopy.migration.RemoteError.BAD_REQUEST, e.error());
    }

    @Test
    void aFinishedStatusCarriesTheReport() {
        MigrationReport report = new MigrationReport("postcopy", "bubble", false, 100, 12.5, 1.25, "pause-unpause", 100,
                409_600, 400_000, 9_600, 0, 0, -1, 3, 4, 50, 0.06, new MigrationReport.FaultLatency(10, 20, 30),
                new MigrationReport.FaultLatency(5, 15, 25), -1, -1, true, 0, "ok", 2.5, 8.0, 1, 2, 0, MigrationReport.Recovery.NONE);
        MigrationStatus done = new MigrationStatus("done", 100, 100, 3, true, Optional.of(report), Optional.empty());
        MigrationStatus back = ControlWire.toDomain(ControlWire.toWire(done));
        assertEquals(done.phase(), back.phase());
        assertEquals(report.toJson(), back.report().orElseThrow().toJson());
        assertEquals(Optional.empty(), back.error());
    }

    @ParameterizedTest
    @EnumSource(TErrorCode.class)
    void everyWireCodeComesBackAsItsNamesake(TErrorCode code) {
        ControlException e = ControlWire.toDomain(new TMigrationError(code, "why"));
        assertEquals(code.name(), e.error().name());
        assertEquals("why", e.getMessage());
        assertSame(code, ControlWire.toWire(e).getCode());
    }

    @Test
    void aMissingWireCodeIsAHostError() {
        assertEquals(RemoteError.HOST_ERROR, ControlWire.toDomain(new TMigrationError(null, "why")).error());
    }
}
