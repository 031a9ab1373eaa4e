package org.xenpostcopy.migration.cli;

import java.util.concurrent.Callable;
import org.xenpostcopy.migration.control.DomainSummary;
import org.xenpostcopy.migration.protocol.DaemonConnection;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code xlpc list}, as {@code xl list}. */
@Command(name = "list", description = "List the domains of the daemon's host.")
final class ListCommand implements Callable<Integer> {
    @ParentCommand
    Xlpc top;

    @Override
    public Integer call() {
        try (DaemonConnection daemon = DaemonClient.connect(top.config())) {
            System.out.printf("%-24s %5s %9s %5s %-9s %s%n", "Name", "ID", "Mem(MiB)", "VCPUs", "State", "Guest");
            for (DomainSummary d : daemon.listDomains()) {
                System.out.printf("%-24s %5d %9d %5d %-9s %s%s%n", d.name(), d.id().value(), d.memoryKiB() / 1024,
                        d.vcpus(), d.state(), d.guest(), d.migration().isEmpty() ? "" : "  migration: " + d.migration());
            }
            return 0;
        }
    }
}
