package org.xenpostcopy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xenpostcopy.migration.Checkpointing;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.migration.source.FailedBack;
import org.xenpostcopy.xen.Await;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.DomainInfo;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.XenStore;

/**
 * The guest takes memory back from its balloon on the destination during post-copy — gfns that were holes at the
 * switch are populated there — and then the destination is lost. The source must restore the guest with the
 * destination's population, not its own as at the switch: a gfn populated there and left a hole here would fault
 * the guest the first time it used it (on Xen, a p2m violation that kills the domain).
 *
 * <p>The hole map each checkpoint carries must be read without paging anything back in: the host refuses the whole
 * domain's map while the pager holds pages out, as Xen does (issue 14: on real Xen every checkpoint failed so).
 */
class GuestBalloonsThenDestinationLostTest {
    private static final String CHECKPOINTER = "org.xenpostcopy.migration.destination.Checkpointer";
    private static final int STALL_MS = 500;
    private static final int LEASE_MS = 1500;
    private static final long GUEST_PAGES = 64 * 256;
    private static final long BALLOONED_PAGES = 16 * 256;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void theSourcePopulatesWhatTheGuestTookBackAtTheDestinationBeforeItWasLost() throws Exception {
        Logger checkpointer = Logger.getLogger(CHECKPOINTER);
        Level level = checkpointer.getLevel();
        checkpointer.setLevel(Level.FINE);
        try (TwoHosts hosts = new TwoHosts();
             FaultyLink link = new FaultyLink(FaultyLink.Fault.BLACKHOLE, FaultyLink.Target.ALL, Long.MAX_VALUE,
                     600_000);
             LogWatch committed = new LogWatch(CHECKPOINTER, "pages, taken in")) {
            hosts.source.advertiseAs(link.toSource(hosts.source.address()));
            InetSocketAddress destination = link.toDestination(hosts.destination.address());
            DomainId d = hosts.bootGuest("vm", 64, "stress-write:4M", 100);
            setTarget(hosts.sourceHost.store(), d, GUEST_PAGES - BALLOONED_PAGES);
            Await.until(() -> hosts.sourceHost.domains().info(d).totPages() <= GUEST_PAGES - BALLOONED_PAGES,
                    Duration.ofSeconds(30), () -> "the guest's balloon to give 16 MiB back at the source");
            GfnBitmap holesAtSwitch = GfnBitmap.full(hosts.sourceHost.domains().populated(d).size());
            holesAtSwitch.andNot(hosts.sourceHost.domains().populated(d));

            // 20 Mbit/s: the 48 MiB take about 20 s, so the balloon moves and checkpoints follow well before the end.
            MigrationOptions options = MigrationOptions.defaults().withLink(20, 0).withBaselineMs(0)
                    .withRecovery(STALL_MS, 60_000).withCheckpointing(new Checkpointing(200, LEASE_MS));
            CompletableFuture<MigrationReport> migration = CompletableFuture.supplyAsync(
                    () -> hosts.source.migrate(d, destination, options, MigrationProgress.NONE));
            DomainId there = hosts.awaitRunningAtDestination("vm", migration);
            long before = hosts.destinationHost.domains().heldPages(there);
            setTarget(hosts.destinationHost.store(), there, GUEST_PAGES);
            Await.until(() -> hosts.destinationHost.domains().heldPages(there) >= before + BALLOONED_PAGES,
                    Duration.ofSeconds(30), () -> "the guest's balloon to take 16 MiB back at the destination");
            // Two more commits: the second was wholly taken after the balloon settled.
            long seen = committed.count();
            Await.until(() -> committed.count() >= seen + 2 || migration.isDone(), Duration.ofSeconds(60),
                    () -> "two checkpoints after the balloon moved (" + (committed.count() - seen) + " so far)");
            assertTrue(!migration.isDone(), "post-copy ended before the checkpoints: nothing was tested");
            long heldThere = hosts.destinationHost.domains().heldPages(there);

            link.strikeNow();
            ExecutionException failed = assertThrows(ExecutionException.class,
                    () -> migration.get(120, TimeUnit.SECONDS));
            FailedBack back = assertInstanceOf(FailedBack.class, failed.getCause(), failed.getCause().toString());
            assertTrue(back.checkpointSeq() >= 1, "no checkpoint had been committed: " + back.getMessage());
            assertEquals(DomainInfo.State.RUNNING, hosts.sourceHost.domains().info(d).state(), back.getMessage());
            GuestProbe.Verification v = back.verification().orElseThrow();
            assertTrue(v.clean(), String.join("; ", v.problems()));

            GfnBitmap populatedHere = hosts.sourceHost.domains().populated(d);
            GfnBitmap stillHoles = holesAtSwitch.copy();
            stillHoles.andNot(populatedHere);
            assertEquals(0, stillHoles.cardinality(), "gfns the guest took back at the destination but still holes"
                    + " at the source, of " + holesAtSwitch.cardinality());
            assertEquals(heldThere, hosts.sourceHost.domains().heldPages(d),
                    "the source holds as many pages as the destination's guest did");
        } finally {
            checkpointer.setLevel(level);
        }
    }

    private static void setTarget(XenStore store, DomainId d, long pages) {
        store.write(XenStore.domainPath(d) + "/memory/target", Long.toString(pages * 4));
    }
}
