package org.xenpostcopy.migration.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.control.ControlException;
import org.xenpostcopy.migration.protocol.ThriftLogging;
import org.xenpostcopy.migration.tls.PeerAllowList;
import org.xenpostcopy.migration.tls.TlsSetupException;
import org.xenpostcopy.xen.XenException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xlpc}: post-copy live migration for Xen, with verbs after {@code xl}. */
@Command(name = "xlpc", mixinStandardHelpOptions = true, versionProvider = Xlpc.Version.class,
        description = "Post-copy live migration for Xen (Hines & Gopalan, VEE 2009).",
        subcommands = {DaemonCommand.class, MigrateCommand.class, ListCommand.class, CreateCommand.class,
                DestroyCommand.class, EvacuateCommand.class, MigrateManyCommand.class, MemSetCommand.class, DsbCommand.class, PageOutCommand.class, LabCommand.class, BenchCommand.class, TlsCommand.class,
                CommandLine.HelpCommand.class})
public final class Xlpc implements Runnable {
    @Option(names = "--config", paramLabel = "FILE", description = "Config file (default: $XLPC_CONFIG, "
            + "~/.config/xlpc/xlpc.conf, /etc/xlpc/xlpc.conf, /etc/xlpc.conf; none needed).")
    Path configFile;

    @Option(names = {"-H", "--daemon"}, paramLabel = "HOST[:PORT]",
            description = "The daemon to talk to (default from the config, else 127.0.0.1:7410).")
    String daemon;

    @Option(names = "--token-file", paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
            description = "Read the shared token from FILE (default: $XLPC_TOKEN, else token= in the config). "
                    + "Never on the command line, where every user of the host could read it.")
    Path tokenFile;

    @Option(names = "--tls-dir", paramLabel = "DIR", scope = CommandLine.ScopeType.INHERIT,
            description = "TLS credentials: ca-cert.pem, server-cert.pem, server-key.pem, client-cert.pem, "
                    + "client-key.pem (default: $XLPC_TLS_DIR, else tls.dir in the config; make a lab set with "
                    + "xlpc tls init). Without one, connections are plain TCP, which only loopback allows.")
    Path tlsDir;

    @Option(names = "--tls-allow", paramLabel = "NAME[,NAME...]", scope = CommandLine.ScopeType.INHERIT,
            description = "Peers let in, by certificate name (CN or DNS SAN); default tls.allow in the config, "
                    + "else any certificate the CA signed.")
    String tlsAllow;

    @Option(names = {"-v", "--verbose"}, description = "Show stack traces and debug logs.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    private XlpcConfig config;

    /** The configuration with this invocation's flags applied. */
    XlpcConfig config() {
        if (config == null) {
            XlpcConfig c = XlpcConfig.load(configFile, System.getenv());
            config = new XlpcConfig(c.listen(), daemon == null ? c.daemon() : XlpcConfig.address(daemon, "--daemon"),
                    tokenFile == null ? c.token() : readToken(tokenFile), c.hosts(), c.source(), c.stateDir(),
                    tlsDir == null ? c.tlsDir() : Optional.of(tlsDir),
                    tlsAllow == null ? c.tlsAllow() : PeerAllowList.parse(tlsAllow), c.limits(), c.xenstoreAllow(),
                    c.metricsListen(), c.tlsProvider());
        }
        return config;
    }

    /** The token is the file's first line (a trailing newline, as editors leave, is not part of it). */
    private static String readToken(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return lines.isEmpty() ? "" : lines.get(0).trim();
        } catch (IOException e) {
            throw new CliException("--token-file " + file + " cannot be read: " + e.getMessage());
        }
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    public static void main(String[] args) {
        configureLogging(java.util.Arrays.asList(args).contains("-v") || java.util.Arrays.asList(args).contains("--verbose"),
                args.length > 0 && java.util.Arrays.asList(args).contains("daemon"));
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /**
     * One line per log record on stderr. Commands show warnings only (their output is the report); the daemon logs
     * what it does; --verbose shows everything. Times carry milliseconds: a migration's phases follow one another
     * within a second, and its log is where an administrator reads their order.
     */
    static void configureLogging(boolean verbose, boolean daemon) {
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        java.util.logging.Level level = verbose ? java.util.logging.Level.FINE
                : daemon ? java.util.logging.Level.INFO : java.util.logging.Level.WARNING;
        root.setLevel(level);
        for (java.util.logging.Handler h : root.getHandlers()) {
            h.setLevel(level);
            h.setFormatter(new java.util.logging.SimpleFormatter());
        }
        // Thrift's own server logs a stack trace for every dropped client; our guard logs one line instead.
        ThriftLogging.libraryLevel(verbose ? level : java.util.logging.Level.OFF);
    }

    /** Runs xlpc with these streams; returns the exit code (0 ok, 1 failed, 2 bad usage). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        Xlpc top = new Xlpc();
        CommandLine cl = commandLine(top);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, line, parse) -> {
            int exit = e instanceof CliException c ? c.exitCode() : 1;
            if (exit == 2) {
                UsageErrors.print(line, message(e), args, err);   // a value the command refused: as for parse errors
            } else {
                err.println("xlpc: " + message(e));
            }
            if (top.verbose) {
                e.printStackTrace(err);
            }
            err.flush();
            return exit;
        });
        cl.setParameterExceptionHandler((e, params) -> UsageErrors.handle(e, args, err));
        return cl.execute(args);
    }

    /**
     * The command tree as users meet it, for running and for what is generated from it (completion, man pages):
     * every subcommand, however deep, gets {@code -h/--help}.
     */
    static CommandLine commandLine(Xlpc top) {
        CommandLine cl = new CommandLine(top);
        addHelpOptions(cl);
        return cl;
    }

    private static void addHelpOptions(CommandLine cl) {
        // picocli's own "help" command already has -h/--help.
        if (cl.getCommandSpec().findOption("--help") == null) {
            cl.addMixin("help", new HelpOption());
        }
        cl.getSubcommands().values().forEach(Xlpc::addHelpOptions);
    }

    /** One line for any failure a command can meet. */
    static String message(Throwable e) {
        // A daemon's refusal, or a connection to it that failed, is already one sentence (DaemonConnection).
        if (e instanceof CliException || e instanceof ControlException || e instanceof MigrationException || e instanceof XenException
                || e instanceof IllegalArgumentException || e instanceof TlsSetupException) {
            return e.getMessage();
        }
        return e.toString();
    }

    /** The Maven project's version, from the resource the build filters (the pom is the one place it is written). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws java.io.IOException {
            java.util.Properties p = new java.util.Properties();
            try (java.io.InputStream in = Xlpc.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"xlpc " + p.getProperty("version", "(unknown version)")};
        }
    }

    static Map<String, String> env() {
        return System.getenv();
    }
}
