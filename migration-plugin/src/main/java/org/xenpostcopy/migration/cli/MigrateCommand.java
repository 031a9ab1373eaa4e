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

/** {@code xlpc migrate <domain> <host[:port]>}, as {@code xl migrate}. */
@Command(name = "migrate", description = "Migrate a domain of the daemon's host to another host's daemon.")
final class MigrateCommand implements Callable<Integer> {
    @ParentCommand
    Xlpc top;

    @Mixin
    MigrationFlags flags;

    @Option(names = "--json", description = "Print the report as JSON, and nothing else.")
    boolean json;

    @Parameters(index = "0", paramLabel = "DOMAIN", description = "Name or id of the domain.")
    String domain;

    @Parameters(index = "1", paramLabel = "HOST[:PORT]", description = "Destination daemon, or a host name from the config.")
    String destination;

    @Override
    public Integer call() {
        XlpcConfig config = top.config();
        MigrationOptions o = flags.options();
        InetSocketAddress dest = config.target(destination);
        PrintStream out = System.out;
        try (DaemonConnection daemon = DaemonClient.connect(config)) {
            String id = daemon.startMigration(new MigrateRequest(domain, dest, o));
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
}
