package org.xenpostcopy.migration.cli;

import java.net.InetSocketAddress;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.migration.control.ControlException;
import org.xenpostcopy.migration.protocol.DaemonConnection;

/** Opens the control connection to the configured daemon, for one command. */
final class DaemonClient {
    private DaemonClient() {
    }

    /**
     * The configured daemon, with the configured token and TLS credentials; a daemon that is not there gets the user
     * a hint, a TLS failure is reported as it is.
     */
    static DaemonConnection connect(XlpcConfig config) {
        return connect(config, config.daemon());
    }

    /** The daemon at {@code a} (a command that talks to several, as {@code evacuate}), as {@link #connect(XlpcConfig)}. */
    static DaemonConnection connect(XlpcConfig config, InetSocketAddress a) {
        return connect(a, new CommandSecurity(config));
    }

    /** As {@link #connect(XlpcConfig, InetSocketAddress)}, for a command that opens several: security built once. */
    static DaemonConnection connect(InetSocketAddress a, CommandSecurity security) {
        XlpcConfig config = security.config();     // the token and the TLS settings from one config
        try {
            // The daemon's own handshake deadline (limits.handshake-s) is how long this host's TLS may take.
            return DaemonConnection.open(a, config.token(), security.toward(a), config.limits().handshake());
        } catch (ControlException e) {
            if (e.error() != RemoteError.CONNECTION || e.getMessage().startsWith("TLS ")) {
                throw e;
            }
            throw new CliException("no xlpc daemon at " + a.getHostString() + ":" + a.getPort()
                    + " (start one with: xlpc daemon)", 1, e);
        }
    }
}
