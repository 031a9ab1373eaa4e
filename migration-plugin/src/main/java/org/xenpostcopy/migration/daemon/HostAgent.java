package org.xenpostcopy.migration.daemon;

import java.net.InetSocketAddress;
import java.util.Optional;
import org.xenpostcopy.balloon.BalloonPolicy;
import org.xenpostcopy.balloon.SelfBallooningController;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.MigrationProgress;
import org.xenpostcopy.migration.control.HostControlService;
import org.xenpostcopy.migration.control.MigrateRequest;
import org.xenpostcopy.migration.control.Migrator;
import org.xenpostcopy.migration.control.SharedToken;
import org.xenpostcopy.migration.destination.IncomingMigrations;
import org.xenpostcopy.migration.destination.LeaseJournal;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.migration.protocol.MigrationServer;
import org.xenpostcopy.migration.protocol.ServerLimits;
import org.xenpostcopy.migration.protocol.SessionOwners;
import org.xenpostcopy.migration.protocol.ThriftPeerConnector;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.migration.source.GuestThroughputHistory;
import org.xenpostcopy.migration.source.LinkTurns;
import org.xenpostcopy.migration.source.PageServer;
import org.xenpostcopy.migration.source.OutgoingMigrations;
import org.xenpostcopy.migration.source.SessionJournal;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.XenHost;

/**
 * One host's migration agent — the heart of {@code xlpc daemon}: it serves the Thrift channel (as destination it
 * receives migrations, as source it answers demand requests) and starts outgoing migrations.
 */
public final class HostAgent implements AutoCloseable {
    private final XenHost host;
    private final SelfBallooningController dsb;
    private final PageServer pageServer;
    private final PeerConnector peers;
    private final IncomingMigrations receiver;
    private final OutgoingMigrations outgoing;
    /** Each guest's recent operation counts, for the baselines of migrations from here. */
    private final Optional<GuestThroughputHistory> history;
    /** Turns at this host's link for the groups of migrations that take them (evacuations). */
    private final LinkTurns linkTurns = new LinkTurns();
    private final HostControlService control;
    private final MigrationServer server;
    private final MigrationWatcher watcher;
    /** Where destinations are told to reach this host's page server, if not where it listens. */
    private volatile InetSocketAddress advertised;

    /** Listens on {@code bind} (port 0 = any free port), plain TCP: for loopback labs and tests. */
    public HostAgent(XenHost host, InetSocketAddress bind) {
        this(host, bind, ChannelSecurity.plain());
    }

    /** Listens on {@code bind}, every connection in and out secured as {@code security} says. */
    public HostAgent(XenHost host, InetSocketAddress bind, ChannelSecurity security) {
        this(host, bind, BalloonPolicy.defaults(), "", security);
    }

    /**
     * With a self-ballooning policy, the shared token control clients must present (empty = none) and the security
     * of every connection it accepts or opens (to the other host of a migration).
     */
    public HostAgent(XenHost host, InetSocketAddress bind, BalloonPolicy balloonPolicy, String token,
                     ChannelSecurity security) {
        this(host, bind, balloonPolicy, token, security, SessionJournal.none());
    }

    /**
     * With a session journal: migrations past their pause are recorded there, and those a previous agent left
     * unfinished (its process died) are finished by this one as soon as it listens.
     */
    public HostAgent(XenHost host, InetSocketAddress bind, BalloonPolicy balloonPolicy, String token,
                     ChannelSecurity security, SessionJournal journal) {
        this(host, bind, balloonPolicy, token, security, journal, ServerLimits.defaults());
    }

    /** With the limits its server holds every connection to (connections per peer and in all, timeouts). */
    public HostAgent(XenHost host, InetSocketAddress bind, BalloonPolicy balloonPolicy, String token,
                     ChannelSecurity security, SessionJournal journal, ServerLimits limits) {
        this(host, bind, balloonPolicy, token, security, journal, limits, MigrationWatcher.NONE);
    }

    /** With a watcher told of every migration's faults and end, both ways (the daemon's metrics). */
    public HostAgent(XenHost host, InetSocketAddress bind, BalloonPolicy balloonPolicy, String token,
                     ChannelSecurity security, SessionJournal journal, ServerLimits limits,
                     MigrationWatcher watcher) {
        this.host = host;
        this.watcher = watcher;
        this.pageServer = new PageServer(journal);
        // Each session sent from here records the destination it reached; only that identity may fetch its pages.
        SessionOwners fetchers = new SessionOwners(pageServer::serves);
        this.peers = new ThriftPeerConnector(security, fetchers);
        this.dsb = new SelfBallooningController(host.store(), balloonPolicy);
        this.receiver = new IncomingMigrations(host, peers, IncomingMigrations.DEFAULT_PREPARED_IDLE_LIMIT, watcher,
                journal.directory().map(LeaseJournal::in).orElse(LeaseJournal.none()));
        this.history = host.guestProbe().map(p -> GuestThroughputHistory.start(p, host.domains()));
        try {
            this.outgoing = new OutgoingMigrations(host, pageServer, peers, this::advertisedAddress, Optional.of(dsb),
                    journal, history);
            // The control service gets the host, the controller and this agent's migrate, nothing else of the agent.
            this.control = new HostControlService(host, dsb, new Migrator() {
                @Override
                public MigrationReport migrate(DomainId domain, InetSocketAddress destination, MigrationOptions options,
                                               MigrationProgress progress, Optional<MigrateRequest.LinkTurn> turn) {
                    return HostAgent.this.migrate(domain, destination, options, progress, turn.map(
                            t -> linkTurns.join(t.group(), t.places(), t.rank())).orElse(LinkTurns.ANY_TIME));
                }

                @Override
                public boolean retryNow(DomainId domain) {
                    return outgoing.retryNow(domain);
                }

                @Override
                public String failBack(DomainId domain) {
                    return outgoing.failBack(domain);
                }

                @Override
                public boolean holdsCopy(DomainId domain) {
                    return outgoing.holdsCopy(domain);
                }
            });
            this.server = new MigrationServer(bind, receiver, pageServer, control, new SharedToken(token), security,
                    fetchers, limits).start();
            outgoing.resumeJournaled();
        } catch (RuntimeException | Error e) {
            // A daemon that cannot start (its port taken, say) leaves no thread behind holding the host.
            history.ifPresent(GuestThroughputHistory::close);
            receiver.close();
            dsb.close();
            throw e;
        }
    }

    public XenHost host() {
        return host;
    }

    /** Where peers reach this agent. */
    public InetSocketAddress address() {
        return server.address();
    }

    /** Connections its server holds open now, in all. */
    public int openConnections() {
        return server.openConnections();
    }

    /**
     * Tells destinations to open their demand connections to {@code address} instead of where this agent listens:
     * a relay or a NAT in between (and the fault-injection tests' faulty link).
     */
    public void advertiseAs(InetSocketAddress address) {
        this.advertised = address;
    }

    private InetSocketAddress advertisedAddress() {
        InetSocketAddress a = advertised;
        return a != null ? a : address();
    }

    /** This host's self-ballooning controller ({@code xlpc dsb}). */
    public SelfBallooningController dsb() {
        return dsb;
    }

    public IncomingMigrations receiver() {
        return receiver;
    }

    /** Migrates a domain of this host to the agent at {@code destination}; returns the report when done. */
    public MigrationReport migrate(DomainId domain, InetSocketAddress destination, MigrationOptions options,
                                   MigrationProgress progress) {
        return migrate(domain, destination, options, progress, LinkTurns.ANY_TIME);
    }

    /** The same, sending only in its {@code turn} at this host's link. */
    public MigrationReport migrate(DomainId domain, InetSocketAddress destination, MigrationOptions options,
                                   MigrationProgress progress, LinkTurns.Turn turn) {
        MigrationReport report;
        try {
            report = outgoing.migrate(domain, destination, options, progress, turn);
        } catch (RuntimeException e) {
            watcher.outgoingFailed(domain, e);
            throw e;
        }
        watcher.outgoingCompleted(domain, report);
        return report;
    }

    /** How many migrations, out and in, are in each phase now. */
    public MigrationCensus census() {
        return new MigrationCensus(outgoing.phases(), receiver.phases());
    }

    @Override
    public void close() {
        server.close();
        receiver.close();
        control.close();
        dsb.close();
        history.ifPresent(GuestThroughputHistory::close);
    }
}
