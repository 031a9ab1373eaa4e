package org.xenpostcopy.migration.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.xen.DomainControl;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;

/** One migration per domain at a time: a second would hand the same guest to a second destination. */
class OutgoingMigrationsTest {
    private static final DomainId DOM = DomainId.of(3);
    private static final InetSocketAddress DEST = InetSocketAddress.createUnresolved("dest", 7410);

    @Test
    void aSecondMigrationOfADomainInFlightIsRefusedAndAllowedOnceTheFirstEnds() throws Exception {
        XenHost host = mock(XenHost.class);
        DomainControl domains = mock(DomainControl.class);
        when(host.domains()).thenReturn(domains);
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // The first migration stops at its first look at the domain until the test lets it fail there.
        when(domains.info(DOM)).thenAnswer(inv -> {
            inside.countDown();
            release.await(30, TimeUnit.SECONDS);
            throw new XenException("xc_domain_getinfo", null, "test");
        });
        OutgoingMigrations outgoing = new OutgoingMigrations(host, new PageServer(), mock(PeerConnector.class),
                () -> InetSocketAddress.createUnresolved("self", 7410), Optional.empty());
        MigrationOptions options = MigrationOptions.defaults().withBaselineMs(0);
        CompletableFuture<?> first = CompletableFuture.runAsync(
                () -> outgoing.migrate(DOM, DEST, options, MigrationProgress.NONE));
        assertTrue(inside.await(30, TimeUnit.SECONDS));
        assertTrue(outgoing.migrating(DOM));

        MigrationException second = assertThrows(MigrationException.class,
                () -> outgoing.migrate(DOM, DEST, options, MigrationProgress.NONE));
        assertEquals("dom3 is already being migrated; wait for that migration to end", second.getMessage());

        release.countDown();
        assertThrows(ExecutionException.class, () -> first.get(30, TimeUnit.SECONDS));
        assertFalse(outgoing.migrating(DOM), "a migration that ended, even by failing, frees its domain");
    }
}
