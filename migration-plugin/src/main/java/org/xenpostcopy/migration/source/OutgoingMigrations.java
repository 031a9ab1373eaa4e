package org.xenpostcopy.migration.source;

import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.xenpostcopy.balloon.SelfBallooningController;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.XenHost;

/**
 * This host as a migration source: starts outgoing migrations, at most one per domain at a time — two at once
 * could both hand the guest over, and two destinations would run it.
 */
public final class OutgoingMigrations {
    private final XenHost host;
    private final PageServer pageServer;
    private final PeerConnector peers;
    private final Supplier<InetSocketAddress> self;
    private final Optional<SelfBallooningController> dsb;
    private final SessionJournal journal;
    private final Optional<GuestThroughputHistory> history;
    private final Set<DomainId> inFlight = ConcurrentHashMap.newKeySet();
    /** The migration of each domain in flight, once it has been built. */
    private final Map<DomainId, OutgoingMigration> running = new ConcurrentHashMap<>();
    /** Domains whose guest went to another host while this copy stayed (paused) here after a failure. */
    private final Set<DomainId> handedOver = ConcurrentHashMap.newKeySet();
    /** Of those, the copies an administrator may bring back from their last checkpoint ({@link #failBack}). */
    private final Map<DomainId, OrderedFailBack.HeldCopy> held = new ConcurrentHashMap<>();

    /**
     * @param self where destinations reach this host's page server (known once the server listens)
     */
    public OutgoingMigrations(XenHost host, PageServer pageServer, PeerConnector peers,
                              Supplier<InetSocketAddress> self, Optional<SelfBallooningController> dsb) {
        this(host, pageServer, peers, self, dsb, SessionJournal.none());
    }

    /** @param journal where each migration past its pause is recorded, for a restarted daemon to finish it */
    public OutgoingMigrations(XenHost host, PageServer pageServer, PeerConnector peers,
                              Supplier<InetSocketAddress> self, Optional<SelfBallooningController> dsb,
                              SessionJournal journal) {
        this(host, pageServer, peers, self, dsb, journal, Optional.empty());
    }

    /** @param history the guests' recent operation counts: each migration's baseline is read from it, not waited for */
    public OutgoingMigrations(XenHost host, PageServer pageServer, PeerConnector peers,
                              Supplier<InetSocketAddress> self, Optional<SelfBallooningController> dsb,
                              SessionJournal journal, Optional<GuestThroughputHistory> history) {
        this.history = history;
        this.journal = journal;
        this.host = host;
        this.pageServer = pageServer;
        this.peers = peers;
        this.self = self;
        this.dsb = dsb;
    }

    /** Migrates {@code domain} to the daemon at {@code destination}; returns the report when done. */
    public MigrationReport migrate(DomainId domain, InetSocketAddress destination, MigrationOptions options,
                                   MigrationProgress progress) {
        return migrate(domain, destination, options, progress, LinkTurns.ANY_TIME);
    }

    /** The same, sending only in its {@code turn} at the link (given back when it ends, however it ends). */
    public MigrationReport migrate(DomainId domain, InetSocketAddress destination, MigrationOptions options,
                                   MigrationProgress progress, LinkTurns.Turn turn) {
        if (!inFlight.add(domain)) {
            turn.release();
            throw new MigrationException(domain + " is already being migrated; wait for that migration to end");
        }
        try {
            refuseIfHandedOver(domain);
            OutgoingMigration m = new OutgoingMigration(host, pageServer, peers, self.get(), domain, destination,
                    options, progress, dsb, journal, turn, history);
            running.put(domain, m);
            try {
                return m.run();
            } catch (RuntimeException e) {
                if (m.handedOver()) {
                    handedOver.add(domain);
                    m.heldCopy().ifPresent(h -> held.put(domain, h));
                }
                throw e;
            }
        } finally {
            turn.release();     // also when the migration could not even be built
            running.remove(domain);
            inFlight.remove(domain);
        }
    }

    /**
     * Brings the guest of {@code domain} back here from its last reverse checkpoint, on an administrator's order
     * ({@code xlpc migrate --fail-back}): for a migration reconnecting to a destination that does not come back, or
     * one that failed with the copy kept paused here (the guest died or is unreachable there). Returns one sentence
     * saying what was done.
     *
     * @throws MigrationException saying why it is not safe, and what to do instead
     */
    public String failBack(DomainId domain) {
        OutgoingMigration m = running.get(domain);
        if (m != null) {
            return m.failBackNow();
        }
        OrderedFailBack.HeldCopy h = held.get(domain);
        if (h == null || !exists(domain)) {
            held.remove(domain);
            throw new MigrationException("refused: no migration of " + domain + " left a copy paused here to bring"
                    + " back" + (handedOver.contains(domain) ? " (the copy here was kept without what a fail-back"
                    + " needs)" : ""));
        }
        if (!inFlight.add(domain)) {
            throw new MigrationException(domain + " is being migrated or failed back already");
        }
        try {
            String done = new OrderedFailBack(host, pageServer, peers, journal).run(h);
            held.remove(domain);
            handedOver.remove(domain);
            return done;
        } finally {
            inFlight.remove(domain);
        }
    }

    /**
     * Whether a failed migration left a copy of {@code domain} paused here that a fail-back could bring back (with a
     * committed checkpoint: without one {@link #failBack} refuses).
     */
    public boolean holdsCopy(DomainId domain) {
        if (held.containsKey(domain) && !exists(domain)) {
            held.remove(domain);
        }
        OrderedFailBack.HeldCopy h = held.get(domain);
        return h != null && h.session().checkpoints != null && h.session().checkpoints.latest().isPresent();
    }

    private boolean exists(DomainId domain) {
        try {
            host.domains().info(domain);
            return true;
        } catch (RuntimeException gone) {
            return false;
        }
    }

    /**
     * A copy left paused here after its guest went elsewhere is out of date: migrating it again would start a
     * second, older guest somewhere (or resume it here on a failure). Forgotten once the domain is gone.
     */
    private void refuseIfHandedOver(DomainId domain) {
        if (!handedOver.contains(domain)) {
            return;
        }
        try {
            host.domains().info(domain);
        } catch (RuntimeException gone) {
            handedOver.remove(domain);
            held.remove(domain);
            return;
        }
        throw new MigrationException(domain + " was handed over to another host by an earlier migration; this"
                + " paused copy is out of date and is not migrated again (destroy it once the guest is safe there)");
    }

    /**
     * Finishes, each on a thread of its own, the migrations a previous daemon left after pausing their guests (its
     * journal); returns how many. Their domains count as in flight meanwhile, so nobody migrates them again. First the
     * checkpoint logs no entry names are removed ({@link SessionJournal#removeOrphanedCheckpoints}).
     */
    public int resumeJournaled() {
        journal.removeOrphanedCheckpoints();
        int n = 0;
        for (SessionJournal.Entry e : journal.entries()) {
            DomainId d = DomainId.of(e.domid());
            if (!inFlight.add(d)) {
                continue;
            }
            Thread t = new Thread(() -> {
                try {
                    if (e.stage() != SessionJournal.Stage.MIGRATING) {
                        // The daemon died in a fail-back: the copy is restored (again) and resumed, never served.
                        if (!new InterruptedFailBack(host, pageServer, peers, journal, e).run()) {
                            handedOver.add(d);  // not finished: the copy here stays paused and is not migrated
                        }
                    } else if (new ResumedMigration(host, pageServer, peers, journal, e, self.get()).run()) {
                        handedOver.add(d);     // a copy left here after that is out of date
                    }
                } finally {
                    inFlight.remove(d);
                }
            }, "resumed-migration-" + d);
            t.setDaemon(true);
            t.start();
            n++;
        }
        return n;
    }

    /**
     * Has the migration of {@code domain}, if its link was cut, try to reconnect now instead of at the end of its
     * back-off; true if it was paused, waiting to.
     */
    public boolean retryNow(DomainId domain) {
        OutgoingMigration m = running.get(domain);
        return m != null && m.retryNow();
    }

    /**
     * How many migrations from here are in each phase now; every phase is a key, most with 0. A migration still
     * being set up (before its session exists) counts as {@link SourcePhase#PREPARING}; one a restarted daemon
     * finishes from its journal is not counted.
     */
    public Map<SourcePhase, Long> phases() {
        Map<SourcePhase, Long> counts = new EnumMap<>(SourcePhase.class);
        for (SourcePhase p : SourcePhase.values()) {
            counts.put(p, 0L);
        }
        for (DomainId d : inFlight) {
            OutgoingMigration m = running.get(d);
            counts.merge(m == null ? SourcePhase.PREPARING : m.phase(), 1L, Long::sum);
        }
        return counts;
    }

    /** Whether a migration of {@code domain} is running now. */
    public boolean migrating(DomainId domain) {
        return inFlight.contains(domain);
    }
}
