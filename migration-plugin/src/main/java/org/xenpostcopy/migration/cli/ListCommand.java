package org.xenpostcopy.migration.cli;

import java.util.concurrent.Callable;
import org.apache.thrift.TException;
import org.xenpostcopy.migration.protocol.thrift.TDomainInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code xlpc list}, as {@code xl list}. */
@Command(name = "list", description = "List the domains of the daemon's host.")
final class ListCommand implements Callable<Integer> {
    @ParentCommand
    Xlpc top;

    @Override
    public Integer call() throws TException {
        try (DaemonClient daemon = DaemonClient.connect(top.config())) {
            System.out.printf("%-24s %5s %9s %5s %-9s %s%n", "Name", "ID", "Mem(MiB)", "VCPUs", "State", "Guest");
            for (TDomainInfo d : daemon.control.listDomains(daemon.token)) {
                System.out.printf("%-24s %5d %9d %5d %-9s %s%n", d.getName(), d.getId(), d.getMemoryKiB() / 1024,
                        d.getVcpus(), d.getState(), d.getGuest());
            }
            return 0;
        }
    }
}
