package org.xenpostcopy.migration.source;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.MigrationMode;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.peer.PeerException;
import org.xenpostcopy.migration.peer.Resume;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.GuestProbe;
import org.xenpostcopy.xen.VcpuState;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenHost;
import org.xenpostcopy.xen.XenStore;

/**
 * The switch, where the downtime is: pause the guest here, read its vCPU state and final hole map (pre-copy:
 * also the pages dirtied since the last round, sent now with the guest stopped), and hand it over; when the
 * destination's resume returns, the guest runs there.
 *
 * <p>Until the destination confirms, the guest is the source's: any failure before the resume call resumes it
 * here and aborts the destination. If the resume call itself fails, the destination may or may not have
 * unpaused it; the guest is resumed here only if the destination confirms an abort — never two running copies.
 * Without that confirmation the switch ends {@link Unconfirmed}, and recovering the session finds out: the
 * guest runs there (post-copy goes on) or the destination never resumed it (it is taken back here).
 */
final class SourceSwitch {
    private static final Logger LOG = System.getLogger(SourceSwitch.class.getName());

    /**
     * The switch as it happened. The downtime runs from the guest's last instant here to its first there; the two
     * hosts share no clock, so it is this host's part ({@code handOverNanos}: from the guest's last instant to the
     * resume call's arrival there, counting half the call's network time) plus the destination's part, which its
     * completion reports (from the call's arrival to the guest's first instant there).
     *
     * @param pausedAt       when the pause was asked for
     * @param handOverNanos  the guest's last instant here to the resume's arrival there
     * @param lastInstantSeen whether the host told the guest's last instant (else the pause call's start stands in:
     *                       the downtime is then over-, never under-stated)
     * @param resumeMs       the destination's time from the call's arrival to its unpause, for a destination whose
     *                       host cannot tell the guest's first instant
     * @param outstanding    gfns still to send after the switch (post-copy, hybrid)
     */
    record Switched(long pausedAt, long handOverNanos, boolean lastInstantSeen, double resumeMs, GfnBitmap holes,
                    GfnBitmap outstanding, long vcpuBytes, boolean stopAndCopy) {

        /** The downtime, given the destination's account of the guest's first instant there ({@code -1}: none). */
        long downtimeNanos(double firstRanMs) {
            return handOverNanos + (long) ((firstRanMs >= 0 ? firstRanMs : resumeMs) * 1e6);
        }

        /** Whether both ends of the downtime are the guest's own instants, not dom0's pause and unpause calls. */
        boolean downtimeFromGuest(double firstRanMs) {
            return lastInstantSeen && firstRanMs >= 0;
        }
    }

    /**
     * The resume call failed and the destination did not confirm an abort: the guest may run there. Carries the
     * switch as far as it got (its downtime runs to the failure); the caller recovers the session to find out.
     */
    static final class Unconfirmed extends MigrationException {
        private final transient Switched switched;

        Unconfirmed(Switched switched, PeerException cause) {
            super("the destination did not confirm the resume (" + cause.getMessage() + ")", cause);
            this.switched = switched;
        }

        Switched switched() {
            return switched;
        }
    }

    private final XenHost host;
    private final DomainId domain;
    private final MigrationMode mode;
    private final GuestHoles holes;
    private final DestinationPeer destination;

    SourceSwitch(XenHost host, DomainId domain, MigrationMode mode, GuestHoles holes, DestinationPeer destination) {
        this.host = host;
        this.domain = domain;
        this.mode = mode;
        this.holes = holes;
        this.destination = destination;
    }

    /**
     * @param rounds  what the live rounds sent and left dirty
     * @param sender  sends the stop-and-copy (pre-copy)
     * @param atPause runs right after the pause (e.g. stop self-ballooning: the guest is leaving)
     * @param beforeResume given the gfns still to send, just before the resume call: the page server must be
     *                     ready to answer faults from the moment the guest runs there
     */
    Switched run(PreCopyRounds.Result rounds, PreCopySender sender, Runnable atPause,
                 Consumer<GfnBitmap> beforeResume, MigrationProgress progress) {
        long tPause = System.nanoTime();
        long[] split = new long[4];   // when the steps inside the pause ended, for the debug line below
        long tPaused;
        GfnBitmap finalHoles;
        List<VcpuState> vcpus;
        GfnBitmap outstanding;
        long tLast;
        boolean lastSeen;
        try {
            host.domains().suspendForMigration(domain);
            tPaused = System.nanoTime();
            long stopped = host.guestProbe().flatMap(p -> p.runBounds(domain)).map(GuestProbe.RunBounds::stoppedAt)
                    .orElse(-1L);
            lastSeen = stopped >= tPause && stopped <= tPaused;
            tLast = lastSeen ? stopped : tPause;
            atPause.run();
            split[0] = System.nanoTime();
            finalHoles = holes.now();
            split[1] = System.nanoTime();
            vcpus = host.domains().vcpuStates(domain);
            outstanding = outstanding(rounds, finalHoles);
            split[2] = System.nanoTime();
            if (mode == MigrationMode.PRECOPY) {
                progress.update("stop-and-copy", sender.pagesSent(), sender.pagesSent() + outstanding.cardinality(), 0);
                sender.send(outstanding, () -> { }, false);   // the last dirty pages, with the guest stopped
                outstanding = new GfnBitmap(holes.gfnCount());
            }
            beforeResume.accept(outstanding);
            split[3] = System.nanoTime();
        } catch (RuntimeException e) {
            // Nothing has been handed over: the guest is this host's, so it runs here again.
            String resumed = resumeHere();
            abortQuietly("source failed at pause: " + e.getMessage());
            throw new MigrationException("the switch of " + domain + " failed before the destination took it ("
                    + e.getMessage() + "); " + resumed, e);
        }
        long vcpuBytes = vcpus.stream().mapToLong(VcpuState::size).sum();
        Resume request = new Resume(vcpus, finalHoles, sender.pagesSent(),
                mode == MigrationMode.HYBRID ? Optional.of(outstanding) : Optional.empty(), targetNow());
        long tSend = System.nanoTime();
        Resume.Reply resumed;
        try {
            resumed = destination.resume(request);
        } catch (PeerException e) {
            if (abortQuietly("resume failed: " + e.getMessage())) {
                host.domains().resumeAfterFailedMigration(domain);
                throw new MigrationException("the destination refused to resume " + domain + " (" + e.getMessage()
                        + "); it keeps running here", e);
            }
            // Unknown: the resume may have run there (its reply lost) or not. Recovery finds out.
            throw new Unconfirmed(new Switched(tPause, System.nanoTime() - tLast, lastSeen, 0, finalHoles, outstanding,
                    vcpuBytes, mode == MigrationMode.PRECOPY), e);
        }
        long tReply = System.nanoTime();
        // Without a shared clock, the call arrived there half its network time (its round trip less the
        // destination's handling) after it left here.
        double networkMs = Math.max(0, (tReply - tSend) / 1e6 - resumed.handlerMs());
        long tArrived = tSend + (long) (networkMs / 2 * 1e6);
        LOG.log(Level.DEBUG, "{0}: downtime here {1} ms = pause {2} + state and last pages {3} (after-pause work {4}, "
                + "hole map {5}, vCPUs and pages owed {6}, page server readied {7}, resume built {8}) + network {9}; "
                + "then the destination''s {10} ms to unpause", domain, ms(tArrived - tLast), ms(tPaused - tLast),
                ms(tSend - tPaused), ms(split[0] - tPaused), ms(split[1] - split[0]), ms(split[2] - split[1]),
                ms(split[3] - split[2]), ms(tSend - split[3]), String.format(Locale.ROOT, "%.3f", networkMs / 2),
                String.format(Locale.ROOT, "%.3f", resumed.resumeMs()));
        return new Switched(tPause, tArrived - tLast, lastSeen, resumed.resumeMs(), finalHoles, outstanding,
                vcpuBytes, mode == MigrationMode.PRECOPY);
    }

    /** The guest's memory/target now, in KiB (0 if it has none readable): the balloon may have moved it. */
    private long targetNow() {
        try {
            return host.store().read(XenStore.domainPath(domain) + "/memory/target").map(String::trim)
                    .filter(s -> s.matches("\\d{1,18}")).map(Long::parseLong).orElse(0L);
        } catch (XenException e) {
            return 0;
        }
    }

    /** Every populated page, less those sent in a live round and not dirtied since. */
    private GfnBitmap outstanding(PreCopyRounds.Result rounds, GfnBitmap finalHoles) {
        GfnBitmap outstanding = GfnBitmap.full(holes.gfnCount());
        outstanding.andNot(finalHoles);
        if (mode != MigrationMode.POSTCOPY) {
            GfnBitmap dirty = host.dirtyLog().readAndClear(domain);
            host.dirtyLog().disable(domain);
            dirty.or(rounds.dirtiedInLastRound());
            GfnBitmap clean = rounds.everSent().copy();
            clean.andNot(dirty);
            outstanding.andNot(clean);
        }
        return outstanding;
    }

    /**
     * After a failure before the handover: log-dirty off (it may never have been on) and the guest resumed here.
     * Returns, for the message, where the guest now is.
     */
    private String resumeHere() {
        try {
            host.dirtyLog().disable(domain);
        } catch (RuntimeException notOn) {
            // post-copy never turned it on, or the failure was turning it off: nothing more to undo
        }
        try {
            host.domains().resumeAfterFailedMigration(domain);
            return "it keeps running here";
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "resuming " + domain + " after a failed switch failed", e);
            return "resuming it here failed too (" + e.getMessage() + "): it is paused here, with every page";
        }
    }

    /** Asks the destination to give the session up; true if it confirmed. */
    private boolean abortQuietly(String reason) {
        try {
            destination.abort(reason);
            return true;
        } catch (PeerException e) {
            LOG.log(Level.WARNING, "abort of the session failed ({0}): {1}",
                    e.error() == RemoteError.CONNECTION ? "no connection" : e.error(), e.getMessage());
            return false;
        }
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
    }
}
