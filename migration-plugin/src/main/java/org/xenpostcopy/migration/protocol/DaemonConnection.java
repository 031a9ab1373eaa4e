package org.xenpostcopy.migration.protocol;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.apache.thrift.TException;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.control.ControlException;
import org.xenpostcopy.migration.control.DaemonControl;
import org.xenpostcopy.migration.control.DomainSummary;
import org.xenpostcopy.migration.control.DsbAction;
import org.xenpostcopy.migration.control.MigrateRequest;
import org.xenpostcopy.migration.control.MigrationStatus;
import org.xenpostcopy.migration.pager.PageOutResult;
import org.xenpostcopy.migration.protocol.thrift.HostControl;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;
import org.xenpostcopy.migration.tls.ChannelSecurity;

/**
 * A control connection to one daemon, as the command line uses it: {@link DaemonControl} over Thrift, presenting
 * the shared token on every call. A refusal arrives as the daemon's {@link ControlException}; a connection that
 * fails becomes one too, with {@link RemoteError#CONNECTION}.
 */
public final class DaemonConnection implements DaemonControl, AutoCloseable {
    /** How long to wait for the daemon to accept the connection. */
    static final int CONNECT_TIMEOUT_MS = 10_000;
    /** Longer than any call may take: a page-out holds up to a minute, a status call waits up to a minute. */
    static final int CALL_TIMEOUT_MS = 120_000;

    private final ThriftConnection connection;
    private final HostControl.Client control;
    private final String token;

    private DaemonConnection(ThriftConnection connection, String token) {
        this.connection = connection;
        this.control = connection.control();
        this.token = token;
    }

    /**
     * Connects to the daemon at {@code daemon}, secured as {@code security} says.
     *
     * @throws ControlException {@link RemoteError#CONNECTION} if no daemon accepts the connection; the message
     *                          says why ("cannot reach the daemon at HOST:PORT (Connection refused)", "TLS with the
     *                          daemon at HOST:PORT failed (why)")
     */
    public static DaemonConnection open(InetSocketAddress daemon, String token, ChannelSecurity security) {
        return open(daemon, token, security, Duration.ofMillis(CONNECT_TIMEOUT_MS));
    }

    /**
     * As {@link #open(InetSocketAddress, String, ChannelSecurity)}, giving the TLS handshake {@code handshake}: on a
     * loaded host (a daemon's cold JVM on a busy dom0) it is the slow part, and the host's own
     * {@code limits.handshake-s} says how slow its daemon may be.
     */
    public static DaemonConnection open(InetSocketAddress daemon, String token, ChannelSecurity security,
                                        Duration handshake) {
        ThriftConnection c;
        try {
            c = ThriftConnection.open(daemon, CONNECT_TIMEOUT_MS, (int) Math.min(Integer.MAX_VALUE, handshake.toMillis()),
                    security);
        } catch (MigrationException e) {
            throw new ControlException(RemoteError.CONNECTION, e.getMessage(), e);
        }
        try {
            c.setTimeout(CALL_TIMEOUT_MS);
        } catch (MigrationException e) {
            c.close();
            throw new ControlException(RemoteError.CONNECTION, e.getMessage(), e);
        }
        return new DaemonConnection(c, token);
    }

    /** One remote call; what the transport throws is turned into the domain's exception here, once. */
    @FunctionalInterface
    private interface Call<T> {
        T run() throws TException;
    }

    private static <T> T call(Call<T> call) {
        try {
            return call.run();
        } catch (TMigrationError e) {
            throw ControlWire.toDomain(e);
        } catch (TException e) {
            throw new ControlException(RemoteError.CONNECTION, "connection to the daemon failed: "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
    }

    @Override
    public String describe() {
        return call(() -> control.describe(token));
    }

    @Override
    public List<DomainSummary> listDomains() {
        return call(() -> control.listDomains(token).stream().map(ControlWire::toDomain).toList());
    }

    @Override
    public OptionalLong freeMemoryKiB() {
        long kib = call(() -> control.freeMemoryKiB(token));
        return kib < 0 ? OptionalLong.empty() : OptionalLong.of(kib);
    }

    @Override
    public DomainSummary create(String name, long memoryMiB, int vcpus, String workload, long seed) {
        return call(() -> ControlWire.toDomain(control.create(token, name, memoryMiB, workload, seed, vcpus)));
    }

    @Override
    public void destroy(String domain) {
        call(() -> {
            control.destroy(token, domain);
            return null;
        });
    }

    @Override
    public void memSet(String domain, long memoryMiB) {
        call(() -> {
            control.memSet(token, domain, memoryMiB);
            return null;
        });
    }

    @Override
    public String dsb(DsbAction action, String domain) {
        return call(() -> control.dsb(token, action.wireName(), domain));
    }

    @Override
    public PageOutResult pageOut(String domain, long pages, int holdMs) {
        return call(() -> ControlWire.toDomain(control.pageOut(token, domain, pages, holdMs)));
    }

    @Override
    public String startMigration(MigrateRequest request) {
        return call(() -> control.startMigration(token, ControlWire.toWire(request)));
    }

    @Override
    public MigrationStatus migrationStatus(String id, int waitMs) {
        return call(() -> ControlWire.toDomain(control.migrationStatus(token, id, waitMs)));
    }

    @Override
    public String retryMigration(String id) {
        return call(() -> control.retryMigration(token, id));
    }

    @Override
    public String failBackMigration(String id) {
        return call(() -> control.failBackMigration(token, id));
    }

    @Override
    public void close() {
        connection.close();
    }
}
