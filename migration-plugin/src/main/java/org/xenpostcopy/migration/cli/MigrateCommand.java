package org.xenpostcopy.migration.cli;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.control.MigrateRequest;
import org.xenpostcopy.migration.control.MigrationStatus;
import org.xenpostcopy.migration.protocol.DaemonConnection;
import org.xenpostcopy.migration.report.MigrationReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code xlpc migrate <domain> <host[:port]>}, as {@code xl migrate}; and, for a migration already running,
 * {@code --status ID} (where it is), {@code --resume ID} (reconnect now after a cut, QEMU's
 * {@code migrate resume=true}) and {@code --fail-back ID} (give the destination up and run the guest here again from
 * its last reverse checkpoint, when it is dead or unreachable there).
 */
@Command(name = "migrate", description = {"Migrate a domain of the daemon's host to another host's daemon.",
        "With --status ID or --resume ID: look at, or hurry the reconnection of, a migration already running.",
        "With --fail-back ID: bring the guest of a migration stuck with it dead or unreachable on the destination"
                + " back here, from its last reverse checkpoint."})
final class MigrateCommand implements Callable<Integer> {
    @ParentCommand
    Xlpc top;

    @Mixin
    MigrationFlags flags;

    @Option(names = "--json", description = "Print the report as JSON, and nothing else.")
    boolean json;

    @Option(names = "--status", paramLabel = "ID",
            description = "Print the state of migration ID (its id is printed when it starts) and exit.")
    String statusOf;

    @Option(names = "--resume", paramLabel = "ID",
            description = "Migration ID lost its link and is reconnecting: try again now, not at the end of its back-off.")
    String resume;

    @Option(names = "--fail-back", paramLabel = "ID",
            description = "Migration ID is stuck with its guest dead or unreachable on the destination: run the guest"
                    + " here again from its last reverse checkpoint, once the destination's lease has run out. Refused,"
                    + " with the reason, unless this host holds the copy and a committed checkpoint and the"
                    + " destination does not say the guest runs there.")
    String failBack;

    @Parameters(index = "0", arity = "0..1", paramLabel = "DOMAIN", description = "Name or id of the domain.")
    String domain;

    @Parameters(index = "1", arity = "0..1", paramLabel = "HOST[:PORT]",
            description = "Destination daemon, or a host name from the config.")
    String destination;

    @Override
    public Integer call() {
        XlpcConfig config = top.config();
        int byId = (statusOf != null ? 1 : 0) + (resume != null ? 1 : 0) + (failBack != null ? 1 : 0);
        if (byId > 0) {
            if (domain != null || byId > 1) {
                throw new CliException("--status, --resume and --fail-back take a migration id and nothing else", 2,
                        null);
            }
            return statusOf != null ? status(config, statusOf) : resume != null ? resume(config, resume)
                    : failBack(config, failBack);
        }
        if (domain == null || destination == null) {
            throw new CliException("migrate needs DOMAIN and HOST[:PORT] (or --status ID / --resume ID / --fail-back"
                    + " ID)", 2, null);
        }
        MigrationOptions o = flags.options();
        InetSocketAddress dest = config.target(destination);
        PrintStream out = System.out;
        try (DaemonConnection daemon = DaemonClient.connect(config)) {
            String id = daemon.startMigration(new MigrateRequest(domain, dest, o));
            if (!json) {
                System.err.println("xlpc: migration " + id + " started (xlpc migrate --status " + id + ")");
            }
            ProgressLine progress = new ProgressLine(out, !json && ProgressLine.terminal());
            MigrationStatus s;
            do {
                s = daemon.migrationStatus(id, 500);
                progress.update(s.phase(), s.pagesDone(), s.pagesTotal(), s.networkFaults());
            } while (!s.finished());
            progress.finish();
            if (s.error().isPresent()) {
                throw new CliException("migration of " + domain + " failed: " + s.error().get());
            }
            MigrationReport r = s.report().orElseThrow(() -> new CliException("migration of " + domain
                    + " finished without a report"));
            out.print(json ? r.toJson() + System.lineSeparator() : ReportTable.format(r));
            out.flush();
            return r.verified() || !o.verify() ? 0 : 1;
        }
    }

    private static int status(XlpcConfig config, String id) {
        try (DaemonConnection daemon = DaemonClient.connect(config)) {
            MigrationStatus s = daemon.migrationStatus(id, 0);
            System.out.printf("%s: %s, %d of %d pages, %d network faults%s%n", id, s.phase(), s.pagesDone(),
                    s.pagesTotal(), s.networkFaults(), s.finished() ? s.error().map(e -> "; failed: " + e)
                            .orElse("; finished") : "");
            return s.error().isPresent() ? 1 : 0;
        }
    }

    private static int failBack(XlpcConfig config, String id) {
        try (DaemonConnection daemon = DaemonClient.connect(config)) {
            System.out.println(id + ": " + daemon.failBackMigration(id));
            return 0;
        }
    }

    private static int resume(XlpcConfig config, String id) {
        try (DaemonConnection daemon = DaemonClient.connect(config)) {
            String phase = daemon.retryMigration(id);
            System.out.println(phase.startsWith("paused") ? id + ": was " + phase + "; reconnecting now"
                    : id + ": " + phase + "; its link is not cut, nothing to resume");
            return 0;
        }
    }
}
