package org.xenpostcopy.migration.cli;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import org.apache.thrift.TException;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.protocol.thrift.TMigrateRequest;
import org.xenpostcopy.migration.protocol.thrift.TMigrationStatus;
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
    public Integer call() throws TException {
        XlpcConfig config = top.config();
        MigrationOptions o = flags.options();
        InetSocketAddress dest = config.target(destination);
        PrintStream out = System.out;
        try (DaemonClient daemon = DaemonClient.connect(config)) {
            TMigrateRequest req = new TMigrateRequest(domain, dest.getHostString(), dest.getPort(), o.mode().wireName(),
                    o.prepaging().wireName(), o.dsb(), o.linkMbps(), o.linkLatencyMs(), o.verify(), o.precopyRounds(),
                    o.baselineMs());
            String id = daemon.control.startMigration(daemon.token, req);
            ProgressLine progress = new ProgressLine(out, !json && ProgressLine.terminal());
            TMigrationStatus s;
            do {
                s = daemon.control.migrationStatus(daemon.token, id, 500);
                progress.update(s.getPhase(), s.getPagesDone(), s.getPagesTotal(), s.getNetworkFaults());
            } while (!s.isFinished());
            progress.finish();
            if (s.isSetError()) {
                throw new CliException("migration of " + domain + " failed: " + s.getError());
            }
            MigrationReport r = MigrationReport.fromJson(s.getReportJson());
            out.print(json ? r.toJson() + System.lineSeparator() : ReportTable.format(r));
            out.flush();
            return r.verified() || !o.verify() ? 0 : 1;
        }
    }
}
