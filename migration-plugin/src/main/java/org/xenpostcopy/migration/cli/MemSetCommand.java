package org.xenpostcopy.migration.cli;

import java.util.concurrent.Callable;
import org.xenpostcopy.migration.protocol.DaemonConnection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code xlpc mem-set <domain> <MiB>}, as {@code xl mem-set}. */
@Command(name = "mem-set", description = "Set a domain's memory target (its balloon follows), as xl mem-set.")
final class MemSetCommand implements Callable<Integer> {
    @ParentCommand
    Xlpc top;

    @Parameters(index = "0", paramLabel = "DOMAIN")
    String domain;

    @Parameters(index = "1", paramLabel = "MiB")
    long memoryMiB;

    @Override
    public Integer call() {
        try (DaemonConnection daemon = DaemonClient.connect(top.config())) {
            daemon.memSet(domain, memoryMiB);
            return 0;
        }
    }
}
