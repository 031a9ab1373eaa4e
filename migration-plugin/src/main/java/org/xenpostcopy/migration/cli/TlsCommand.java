package org.xenpostcopy.migration.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.xenpostcopy.migration.tls.LabAuthority;
import org.xenpostcopy.migration.tls.TlsCredentials;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code xlpc tls}: TLS credentials. */
@Command(name = "tls", description = "TLS credentials for daemons and commands.",
        subcommands = TlsCommand.Init.class)
final class TlsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a tls command is required (xlpc tls init)");
    }

    /** {@code xlpc tls init DIR --hosts a,b}: a lab CA and a credentials directory per host. */
    @Command(name = "init", description = "Make a lab CA in DIR (or reuse the one there) and, for each host, "
            + "DIR/HOST/ with ca-cert.pem, server-cert.pem, server-key.pem, client-cert.pem, client-key.pem "
            + "(ECDSA P-256; certificate CN and DNS name = HOST). Copy DIR/HOST to that host and run "
            + "xlpc daemon --tls-dir DIR/HOST. DIR/ca-key.pem signs new hosts: keep it off the hosts.")
    static final class Init implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DIR", description = "Where the CA and the host directories go.")
        Path dir;

        @Option(names = "--hosts", required = true, split = ",", paramLabel = "HOST[,HOST...]",
                description = "Host names, as peers will list them in tls.allow.")
        List<String> hosts;

        @Option(names = "--days", defaultValue = "825", description = "How long the certificates are valid "
                + "(default: ${DEFAULT-VALUE}).")
        int days;

        @Override
        public Integer call() {
            if (days < 1) {
                throw new CliException("--days must be at least 1", 2, null);
            }
            LabAuthority ca = LabAuthority.openOrCreate(dir, Duration.ofDays(days));
            System.out.println("CA: " + dir.resolve(TlsCredentials.CA_CERT) + " (key " + dir.resolve(LabAuthority.CA_KEY) + ")");
            for (String host : hosts) {
                System.out.println(host + ": " + ca.issueHost(host.trim()));
            }
            System.out.println("run: xlpc daemon --listen ADDRESS --tls-dir " + dir.resolve("HOST") + " --tls-allow "
                    + String.join(",", hosts));
            return 0;
        }
    }
}
