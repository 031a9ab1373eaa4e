package org.xenpostcopy.migration.cli;

import java.util.concurrent.Callable;
import org.xenpostcopy.migration.protocol.DaemonConnection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code xlpc destroy <domain>}, as {@code xl destroy}. */
@Command(name = "destroy", description = "Destroy a domain of the daemon's host.")
final class DestroyCommand implements Callable<Integer> {
    @ParentCommand
    Xlpc top;

    @Parameters(index = "0", paramLabel = "DOMAIN")
    String domain;

    @Override
    public Integer call() {
        try (DaemonConnection daemon = DaemonClient.connect(top.config())) {
            daemon.destroy(domain);
            return 0;
        }
    }
}
