package org.xenpostcopy.migration.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mockito.ArgumentCaptor;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.PrePaging;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.control.ControlException;
import org.xenpostcopy.migration.control.DaemonControl;
import org.xenpostcopy.migration.control.DomainSummary;
import org.xenpostcopy.migration.control.DsbAction;
import org.xenpostcopy.migration.control.MigrateRequest;
import org.xenpostcopy.migration.control.MigrationStatus;
import org.xenpostcopy.migration.control.SharedToken;
import org.xenpostcopy.migration.pager.PageOutResult;
import org.xenpostcopy.migration.protocol.thrift.TDomainInfo;
import org.xenpostcopy.migration.protocol.thrift.TErrorCode;
import org.xenpostcopy.migration.protocol.thrift.TMigrateRequest;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;
import org.xenpostcopy.migration.protocol.thrift.TMigrationStatus;
import org.xenpostcopy.migration.protocol.thrift.TPageOutResult;
import org.xenpostcopy.xen.DomainId;

/** The control handler converts and delegates: every decision is the (mocked) service's, every refusal maps 1:1. */
class HostControlHandlerTest {
    private static final String TOKEN = "s3cret";
    private final DaemonControl service = mock(DaemonControl.class);
    private final HostControlHandler handler = new HostControlHandler(service, new SharedToken(TOKEN));

    @Test
    void aWrongOrMissingTokenIsRefusedBeforeTheServiceIsAsked() {
        for (String wrong : new String[] {"s3cre", "s3crett", "", null}) {
            TMigrationError e = assertThrows(TMigrationError.class, () -> handler.destroy(wrong, "vm"));
            assertEquals(TErrorCode.UNAUTHORIZED, e.getCode());
            assertEquals("wrong or missing token for this daemon (set token= in the config or XLPC_TOKEN)", e.getMessage());
        }
        assertThrows(TMigrationError.class, () -> handler.startMigration("nope", new TMigrateRequest()));
        verifyNoInteractions(service);
    }

    @Test
    void withoutAConfiguredTokenEveryCallerIsLetIn() throws Exception {
        when(service.describe()).thenReturn("emulated host 'a'");
        HostControlHandler open = new HostControlHandler(service, SharedToken.none());
        assertEquals("emulated host 'a'", open.describe(null));
    }

    @Test
    void aDomainExceptionBecomesTheSameCodeAndSentenceOnTheWire() {
        doThrow(new ControlException(RemoteError.NO_SUCH_DOMAIN, "no domain 'vm' on emulated host 'a'"))
                .when(service).destroy("vm");
        TMigrationError e = assertThrows(TMigrationError.class, () -> handler.destroy(TOKEN, "vm"));
        assertEquals(TErrorCode.NO_SUCH_DOMAIN, e.getCode());
        assertEquals("no domain 'vm' on emulated host 'a'", e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(value = RemoteError.class, names = "CONNECTION", mode = EnumSource.Mode.EXCLUDE)
    void everyDaemonSideCodeHasItsNamesakeOnTheWire(RemoteError code) {
        doThrow(new ControlException(code, "why")).when(service).memSet("vm", 64);
        TMigrationError e = assertThrows(TMigrationError.class, () -> handler.memSet(TOKEN, "vm", 64));
        assertEquals(code.name(), e.getCode().name());
        assertEquals("why", e.getMessage());
    }

    @Test
    void domainsAreConvertedFieldByField() throws Exception {
        when(service.listDomains()).thenReturn(List.of(
                new DomainSummary(DomainId.DOM0, "Domain-0", 1024, 2048, "running", 1, ""),
                new DomainSummary(DomainId.of(3), "vm", 262_144, 524_288, "paused", 2, "idle")));
        List<TDomainInfo> out = handler.listDomains(TOKEN);
        assertEquals(List.of(new TDomainInfo(0, "Domain-0", 1024, 2048, "running", 1, "").setSizeKiB(2048),
                new TDomainInfo(3, "vm", 262_144, 524_288, "paused", 2, "idle").setSizeKiB(524_288)), out);
    }

    @Test
    void freeMemoryTheHostCannotTellIsMinusOneOnTheWire() throws Exception {
        when(service.freeMemoryKiB()).thenReturn(java.util.OptionalLong.of(4096), java.util.OptionalLong.empty());
        assertEquals(4096, handler.freeMemoryKiB(TOKEN));
        assertEquals(-1, handler.freeMemoryKiB(TOKEN));
    }

    @Test
    void createPassesItsArgumentsThrough() throws Exception {
        when(service.create("vm", 256, 2, "idle", 9)).thenReturn(
                new DomainSummary(DomainId.of(1), "vm", 262_144, 262_144, "running", 1, "idle"));
        assertEquals(new TDomainInfo(1, "vm", 262_144, 262_144, "running", 1, "idle").setSizeKiB(262_144),
                handler.create(TOKEN, "vm", 256, "idle", 9, 2));
    }

    @Test
    void aNameThatWouldForgeALogLineOrRunOnIsRefusedBeforeTheService() {
        for (String name : List.of("vm\nWARNING: forged", "v".repeat(RequestBounds.MAX_DOMAIN_NAME + 1))) {
            org.xenpostcopy.migration.protocol.thrift.TMigrationError e = assertThrows(
                    org.xenpostcopy.migration.protocol.thrift.TMigrationError.class,
                    () -> handler.create(TOKEN, name, 256, "idle", 9, 2));
            assertEquals(TErrorCode.BAD_REQUEST, e.getCode());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        verifyNoInteractions(service);
    }

    @Test
    void aMigrateRequestArrivesAsDomainOptions() throws Exception {
        when(service.startMigration(any())).thenReturn("id-1");
        TMigrateRequest wire = new TMigrateRequest("vm", "10.0.0.2", 7410, "hybrid", "multibubble", true, 1000, 5,
                false, 3, 0);
        assertEquals("id-1", handler.startMigration(TOKEN, wire));
        ArgumentCaptor<MigrateRequest> sent = ArgumentCaptor.forClass(MigrateRequest.class);
        verify(service).startMigration(sent.capture());
        MigrateRequest r = sent.getValue();
        assertEquals("vm", r.domain());
        assertEquals("10.0.0.2", r.destination().getHostString());
        assertEquals(7410, r.destination().getPort());
        assertEquals(MigrationMode.HYBRID, r.options().mode());
        assertEquals(PrePaging.MULTIBUBBLE, r.options().prepaging());
        assertTrue(r.options().dsb());
        assertEquals(1000, r.options().linkMbps());
        assertEquals(5, r.options().linkLatencyMs());
        assertFalse(r.options().verify());
        assertEquals(3, r.options().precopyRounds());
        assertEquals(0, r.options().baselineMs());
    }

    @Test
    void aMigrateRequestTheDomainCannotHoldIsABadRequestAndNeverReachesTheService() {
        TMigrateRequest badPolicy = new TMigrateRequest("vm", "h", 7410, "postcopy", "wiggly", false, 0, 0, true, 2, 0);
        TMigrationError e = assertThrows(TMigrationError.class, () -> handler.startMigration(TOKEN, badPolicy));
        assertEquals(TErrorCode.BAD_REQUEST, e.getCode());
        assertTrue(e.getMessage().contains("unknown pre-paging policy 'wiggly'"), e.getMessage());

        TMigrateRequest badPort = new TMigrateRequest("vm", "h", 0, "postcopy", "bubble", false, 0, 0, true, 2, 0);
        TMigrationError p = assertThrows(TMigrationError.class, () -> handler.startMigration(TOKEN, badPort));
        assertEquals(TErrorCode.BAD_REQUEST, p.getCode());
        assertEquals("bad destination h:0", p.getMessage());
        verifyNoInteractions(service);
    }

    @Test
    void dsbActionsAreParsedAndUnknownOnesRefused() throws Exception {
        when(service.dsb(DsbAction.STATUS, "vm")).thenReturn("self-ballooning is not running for vm");
        assertEquals("self-ballooning is not running for vm", handler.dsb(TOKEN, "status", "vm"));
        TMigrationError e = assertThrows(TMigrationError.class, () -> handler.dsb(TOKEN, "pause", "vm"));
        assertEquals(TErrorCode.BAD_REQUEST, e.getCode());
        assertEquals("dsb action must be start, stop or status, not 'pause'", e.getMessage());
    }

    @Test
    void aPageOutResultIsConvertedFieldByField() throws Exception {
        when(service.pageOut("vm", 100, 500)).thenReturn(new PageOutResult(1, 2, 3, 4, 5, 6, 7, 8, 9));
        assertEquals(new TPageOutResult(1, 2, 3, 4, 5, 6, 7, 8, 9), handler.pageOut(TOKEN, "vm", 100, 500));
    }

    @Test
    void aStatusCarriesItsErrorOrNothingWhileRunning() throws Exception {
        when(service.migrationStatus("id-1", 500)).thenReturn(
                new MigrationStatus("push", 10, 100, 2, false, Optional.empty(), Optional.empty()));
        TMigrationStatus running = handler.migrationStatus(TOKEN, "id-1", 500);
        assertEquals(new TMigrationStatus("push", 10, 100, 2, false), running);
        assertFalse(running.isSetReportJson() || running.isSetError());

        when(service.migrationStatus("id-2", 500)).thenReturn(
                new MigrationStatus("failed", 10, 100, 2, true, Optional.empty(), Optional.of("it broke")));
        TMigrationStatus failed = handler.migrationStatus(TOKEN, "id-2", 500);
        assertTrue(failed.isFinished());
        assertEquals("it broke", failed.getError());
        assertFalse(failed.isSetReportJson());
    }
}
