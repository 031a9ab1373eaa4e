package org.xenpostcopy.migration.cli;

import java.net.InetSocketAddress;
import org.xenpostcopy.migration.tls.ChannelSecurity;

/**
 * One command's security toward every daemon it talks to, with TLS credentials read and their context built once
 * however many connections the command opens. An evacuation opens one per guest at its start, all at once, and more
 * as it goes; each build took ~0.1 s of CPU (0.45 s the first), on the same CPUs as the guests it moves. Without
 * credentials each address is judged as {@link SecurityChoice#forClient} judges it (plain on loopback only).
 */
final class CommandSecurity {
    private final XlpcConfig config;
    private ChannelSecurity tls;

    CommandSecurity(XlpcConfig config) {
        this.config = config;
    }

    XlpcConfig config() {
        return config;
    }

    /** The security for a connection to {@code daemon}. */
    synchronized ChannelSecurity toward(InetSocketAddress daemon) {
        if (config.tlsDir().isEmpty()) {
            return SecurityChoice.forClient(config, daemon);
        }
        if (tls == null) {
            tls = SecurityChoice.forClient(config, daemon);
        }
        return tls;
    }
}
