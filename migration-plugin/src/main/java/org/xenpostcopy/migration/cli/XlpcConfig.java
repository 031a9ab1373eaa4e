package org.xenpostcopy.migration.cli;

import java.io.IOException;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.xenpostcopy.migration.protocol.ServerLimits;
import org.xenpostcopy.migration.tls.PeerAllowList;
import org.xenpostcopy.migration.tls.TlsProvider;

/**
 * The configuration, built once: defaults &lt; config file &lt; environment &lt; command-line flags.
 *
 * <p>The file is Java properties, looked for at {@code --config}, else {@code $XLPC_CONFIG}, else
 * {@code ~/.config/xlpc/xlpc.conf}, else {@code /etc/xlpc/xlpc.conf} (where the install puts it, beside its TLS
 * credentials), else {@code /etc/xlpc.conf}; none is needed. Keys:
 * <pre>
 *   listen = 127.0.0.1:7410        # where xlpc daemon listens
 *   daemon = 127.0.0.1:7410        # which daemon the other commands talk to
 *   token  = s3cret                # shared token (daemon and clients); empty = none
 *   host.&lt;name&gt; = 10.0.0.2:7410   # names usable as the target of xlpc migrate
 *   state-dir = /dev/shm/xlpc/a    # where xlpc daemon keeps its emulated domains; none = in memory only
 *   tls.dir = /etc/xlpc/tls        # TLS credentials (ca-cert.pem, server-*.pem, client-*.pem); none = plain TCP
 *   tls.allow = alpha,beta         # peers let in, by certificate name (CN or DNS SAN); empty = any the CA signed
 *   tls.provider = auto            # who runs TLS records: auto (BoringSSL where it loads, else the JDK), boringssl, jdk
 *   limits.connections = 256       # the daemon's open connections in all (one thread each)
 *   limits.connections-per-peer = 64   # ... from one address
 *   limits.handshake-s = 10        # from accept to the end of the TLS handshake
 *   limits.idle-s = 900            # how long a connection may wait for a request
 *   limits.message-stall-s = 60    # how long a begun request may pause
 *   xenstore.allow = alice,bob     # users besides root (and the daemon's own) who may use --xenstore-socket
 *   metrics.listen = 127.0.0.1:7411   # where xlpc daemon serves GET /metrics; off = nowhere (default: loopback,
 *                                     # the daemon's port + 1)
 * </pre>
 * Environment: {@code XLPC_DAEMON}, {@code XLPC_LISTEN}, {@code XLPC_TOKEN}, {@code XLPC_STATE_DIR},
 * {@code XLPC_TLS_DIR}, {@code XLPC_TLS_PROVIDER}. The token is never a command-line argument (argv is visible to every user of the host):
 * {@code --token-file FILE} reads it.
 *
 * @param stateDir the {@code state-dir} setting as written (empty: not set, the daemon's default applies)
 * @param metricsListen the {@code metrics.listen} setting as written (empty: not set; see {@link #metricsAddress})
 * @param tlsProvider the {@code tls.provider} setting as written (see {@link TlsProvider#parse})
 */
record XlpcConfig(InetSocketAddress listen, InetSocketAddress daemon, String token, Map<String, InetSocketAddress> hosts,
                  Path source, Optional<String> stateDir, Optional<Path> tlsDir, PeerAllowList tlsAllow,
                  ServerLimits limits, Set<String> xenstoreAllow, String metricsListen,
                  String tlsProvider) {
    /** The {@code state-dir} value that keeps an emulated host's domains in memory only. */
    static final String NO_STATE_DIR = "none";

    static final int DEFAULT_PORT = 7410;

    /** The {@code metrics.listen} / {@code --metrics-listen} value that serves no metrics. */
    static final String METRICS_OFF = "off";

    static XlpcConfig load(Path explicit, Map<String, String> env) {
        Properties p = new Properties();
        Path file = explicit;
        if (file == null && env.get("XLPC_CONFIG") != null) {
            file = Path.of(env.get("XLPC_CONFIG"));
        }
        if (file != null && !Files.isReadable(file)) {
            throw new CliException("config file " + file + " cannot be read");
        }
        if (file == null) {
            for (Path candidate : new Path[] {
                    Path.of(System.getProperty("user.home"), ".config", "xlpc", "xlpc.conf"), Path.of("/etc/xlpc/xlpc.conf"),
                    Path.of("/etc/xlpc.conf")}) {
                if (Files.isReadable(candidate)) {
                    file = candidate;
                    break;
                }
            }
        }
        if (file != null) {
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            } catch (IOException e) {
                throw new CliException("cannot read config file " + file + ": " + e.getMessage());
            }
        }
        String listen = env.getOrDefault("XLPC_LISTEN", p.getProperty("listen", "127.0.0.1:" + DEFAULT_PORT));
        String daemon = env.getOrDefault("XLPC_DAEMON", p.getProperty("daemon", "127.0.0.1:" + DEFAULT_PORT));
        String token = env.getOrDefault("XLPC_TOKEN", p.getProperty("token", ""));
        String stateDir = env.getOrDefault("XLPC_STATE_DIR", p.getProperty("state-dir", "")).trim();
        Map<String, InetSocketAddress> hosts = new LinkedHashMap<>();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("host.")) {
                hosts.put(key.substring(5), address(p.getProperty(key), "host." + key.substring(5) + " in " + file));
            }
        }
        String tlsDir = env.getOrDefault("XLPC_TLS_DIR", p.getProperty("tls.dir", "")).trim();
        return new XlpcConfig(address(listen, "listen"), address(daemon, "daemon"), token.trim(), Map.copyOf(hosts), file,
                stateDir.isEmpty() ? Optional.empty() : Optional.of(stateDir),
                tlsDir.isEmpty() ? Optional.empty() : Optional.of(Path.of(tlsDir)),
                PeerAllowList.parse(p.getProperty("tls.allow", "")), limits(p, file), users(p.getProperty(
                        "xenstore.allow", "")), p.getProperty("metrics.listen", "").trim(),
                env.getOrDefault("XLPC_TLS_PROVIDER", p.getProperty("tls.provider", "")).trim());
    }

    /** The {@code limits.*} keys over {@link ServerLimits#defaults()}. */
    private static ServerLimits limits(Properties p, Path file) {
        ServerLimits d = ServerLimits.defaults();
        try {
            return d.withConnections(number(p, "limits.connections", d.maxConnections(), file),
                            number(p, "limits.connections-per-peer", d.maxConnectionsPerPeer(), file))
                    .withTimeouts(seconds(p, "limits.handshake-s", d.handshake(), file),
                            seconds(p, "limits.idle-s", d.idle(), file),
                            seconds(p, "limits.message-stall-s", d.messageStall(), file));
        } catch (IllegalArgumentException e) {
            throw new CliException("limits in " + (file == null ? "the config" : file) + ": " + e.getMessage());
        }
    }

    private static int number(Properties p, String key, int otherwise, Path file) {
        String v = p.getProperty(key);
        if (v == null) {
            return otherwise;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new CliException(key + " in " + (file == null ? "the config" : file) + " is not a whole number: '"
                    + v + "'");
        }
    }

    private static Duration seconds(Properties p, String key, Duration otherwise, Path file) {
        String v = p.getProperty(key);
        return v == null ? otherwise : Duration.ofSeconds(number(p, key, 0, file));
    }

    /** A comma-separated list of user names. */
    static Set<String> users(String list) {
        Set<String> users = new LinkedHashSet<>();
        for (String u : list.split(",")) {
            if (!u.isBlank()) {
                users.add(u.trim());
            }
        }
        return Set.copyOf(users);
    }

    /** {@code HOST[:PORT]} (port 7410 if absent; IPv6 in brackets). */
    static InetSocketAddress address(String text, String what) {
        String t = text.trim();
        String host = t;
        int port = DEFAULT_PORT;
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0) {
                throw new CliException("bad address '" + text + "' for " + what);
            }
            host = t.substring(1, close);
            if (t.length() > close + 1) {
                port = port(t.substring(close + 2), text, what);
            }
        } else if (t.indexOf(':') >= 0 && t.indexOf(':') == t.lastIndexOf(':')) {
            host = t.substring(0, t.indexOf(':'));
            port = port(t.substring(t.indexOf(':') + 1), text, what);
        }
        if (host.isEmpty()) {
            throw new CliException("bad address '" + text + "' for " + what + ": no host");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    private static int port(String s, String text, String what) {
        try {
            int p = Integer.parseInt(s);
            if (p < 0 || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new CliException("bad port in '" + text + "' for " + what);
        }
    }

    /**
     * Where the daemon serves {@code /metrics}, or empty for nowhere: {@code setting} ({@code --metrics-listen} over
     * {@code metrics.listen}) as {@code HOST:PORT} or {@value #METRICS_OFF}; unset, loopback on the port after the
     * daemon's own — so every daemon of a host (labs run several) has its own without a word of configuration, and
     * the page, which names domains, stays on the host until an administrator opens it. A daemon on port 0 gets its
     * metrics on port 0 too (any free one).
     *
     * @param what names the setting in an error ("--metrics-listen", "metrics.listen")
     */
    static Optional<InetSocketAddress> metricsAddress(String setting, InetSocketAddress daemon, String what) {
        String s = setting == null ? "" : setting.trim();
        if (s.equalsIgnoreCase(METRICS_OFF)) {
            return Optional.empty();
        }
        if (!s.isEmpty()) {
            if (s.indexOf(':') < 0 || s.endsWith("]")) {
                throw new CliException(what + " needs HOST:PORT (or " + METRICS_OFF + "), not '" + s + "'", 2, null);
            }
            return Optional.of(address(s, what));
        }
        if (daemon.getPort() == 65535) {
            throw new CliException("the daemon listens on port 65535, so there is no next port for its metrics: "
                    + "set --metrics-listen HOST:PORT or metrics.listen", 2, null);
        }
        return Optional.of(InetSocketAddress.createUnresolved("127.0.0.1", daemon.getPort() == 0 ? 0
                : daemon.getPort() + 1));
    }

    /** A migration target: a configured host name, or {@code HOST[:PORT]}. */
    InetSocketAddress target(String nameOrAddress) {
        InetSocketAddress named = hosts.get(nameOrAddress);
        return named != null ? named : address(nameOrAddress, "the destination");
    }
}
