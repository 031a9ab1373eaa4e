package org.xenpostcopy.migration.cli;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.migration.tls.TlsCredentials;
import org.xenpostcopy.migration.tls.TlsProvider;

/**
 * Which {@link ChannelSecurity} a daemon or a command uses. The rule: with credentials ({@code --tls-dir},
 * {@code tls.dir}, {@code XLPC_TLS_DIR}) every connection is mutual TLS; without, connections are plain TCP, which is
 * allowed only on loopback — a daemon listening anywhere else (cluster mode) refuses to start, and a command
 * refuses to send its token in clear to a daemon elsewhere. {@code --insecure} says "plain, on purpose" and is
 * refused off loopback too: it exists so a loopback lab can say so, not to open a cluster.
 */
final class SecurityChoice {
    /** The one line that tells an administrator how to make credentials. */
    static final String HOW_TO_MAKE = "make them with: xlpc tls init DIR --hosts NAME[,NAME...], then give "
            + "--tls-dir DIR/NAME (or tls.dir in the config, XLPC_TLS_DIR)";

    private SecurityChoice() {
    }

    /** For {@code xlpc daemon} listening on {@code bind}. */
    static ChannelSecurity forDaemon(XlpcConfig config, InetSocketAddress bind, boolean insecure) {
        String where = bind.getHostString() + ":" + bind.getPort();
        if (config.tlsDir().isPresent()) {
            if (insecure) {
                throw new CliException("--insecure and TLS credentials (" + config.tlsDir().get() + ") contradict "
                        + "each other: give one", 2, null);
            }
            TlsCredentials credentials = TlsCredentials.load(config.tlsDir().get());
            if (!credentials.canServe()) {
                throw new CliException("a daemon needs " + TlsCredentials.SERVER_CERT + " and "
                        + TlsCredentials.SERVER_KEY + " in " + config.tlsDir().get() + "; " + HOW_TO_MAKE);
            }
            return ChannelSecurity.tls(credentials, config.tlsAllow(), TlsProvider.parse(config.tlsProvider()));
        }
        if (isLoopback(bind)) {
            return ChannelSecurity.plain();
        }
        if (insecure) {
            throw new CliException("--insecure is for loopback addresses only, not " + where + "; TLS credentials: "
                    + HOW_TO_MAKE, 2, null);
        }
        throw new CliException("listening on " + where + " (not loopback) needs TLS credentials; " + HOW_TO_MAKE);
    }

    /** For a command that talks to the daemon at {@code daemon}. */
    static ChannelSecurity forClient(XlpcConfig config, InetSocketAddress daemon) {
        if (config.tlsDir().isPresent()) {
            return ChannelSecurity.tlsClient(TlsCredentials.load(config.tlsDir().get()), config.tlsAllow(),
                    TlsProvider.parse(config.tlsProvider()));
        }
        if (isLoopback(daemon)) {
            return ChannelSecurity.plain();
        }
        throw new CliException("the daemon at " + daemon.getHostString() + ":" + daemon.getPort() + " is not on "
                + "loopback: talking to it needs TLS credentials; " + HOW_TO_MAKE);
    }

    /** Whether every address the name stands for is a loopback one (the wildcard 0.0.0.0 is not). */
    static boolean isLoopback(InetSocketAddress address) {
        try {
            InetAddress[] all = InetAddress.getAllByName(address.getHostString());
            for (InetAddress a : all) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return all.length > 0;
        } catch (UnknownHostException e) {
            return false;   // not resolvable: certainly not known to be loopback; connecting will say more
        }
    }

    /** For the daemon's start line: where its credentials come from. */
    static String describe(XlpcConfig config, ChannelSecurity security) {
        return security.describe() + config.tlsDir().map(d -> ", credentials " + d).orElse("");
    }
}
