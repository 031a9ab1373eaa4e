package org.xenpostcopy.migration.cli;

import java.util.concurrent.Callable;
import org.apache.thrift.TException;
import org.xenpostcopy.migration.protocol.thrift.TDomainInfo;
import org.xenpostcopy.xen.emulated.guest.WorkloadSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code xlpc create <name> --memory <MiB> --workload <spec>}: boots a guest on an emulated daemon. */
@Command(name = "create", description = "Boot a guest running a workload on an emulated daemon.")
final class CreateCommand implements Callable<Integer> {
    @ParentCommand
    Xlpc top;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Option(names = "--memory", paramLabel = "MiB", defaultValue = "1024", description = "Memory (default: ${DEFAULT-VALUE}).")
    long memoryMiB;

    @Option(names = "--workload", paramLabel = "SPEC", defaultValue = "kernel-compile",
            description = WorkloadSpec.USAGE + " (default: ${DEFAULT-VALUE}).")
    String workload;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the guest's random choices.")
    long seed;

    @Override
    public Integer call() throws TException {
        try (DaemonClient daemon = DaemonClient.connect(top.config())) {
            TDomainInfo d = daemon.control.create(daemon.token, name, memoryMiB, workload, seed);
            System.out.printf("created %s (domain %d, %d MiB, %s)%n", d.getName(), d.getId(), d.getMaxMemoryKiB() / 1024,
                    d.getGuest());
            return 0;
        }
    }
}
