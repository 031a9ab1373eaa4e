package org.xenpostcopy.migration.cli;

import java.net.InetSocketAddress;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.protocol.ThriftConnection;
import org.xenpostcopy.migration.protocol.thrift.HostControl;

/** A control connection to one daemon, for one command. */
final class DaemonClient implements AutoCloseable {
    private final ThriftConnection connection;
    final HostControl.Client control;
    final String token;
    final InetSocketAddress address;

    private DaemonClient(ThriftConnection connection, String token, InetSocketAddress address) {
        this.connection = connection;
        this.control = connection.control();
        this.token = token;
        this.address = address;
    }

    static DaemonClient connect(XlpcConfig config) {
        InetSocketAddress a = config.daemon();
        try {
            ThriftConnection c = ThriftConnection.open(a, 10_000);
            c.setTimeout(120_000);
            return new DaemonClient(c, config.token(), a);
        } catch (MigrationException e) {
            throw new CliException("no xlpc daemon at " + a.getHostString() + ":" + a.getPort()
                    + " (start one with: xlpc daemon)", 1, e);
        }
    }

    @Override
    public void close() {
        connection.close();
    }
}
