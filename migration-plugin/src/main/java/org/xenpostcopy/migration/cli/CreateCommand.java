package org.xenpostcopy.migration.cli;

import java.util.concurrent.Callable;
import org.xenpostcopy.migration.control.DomainSummary;
import org.xenpostcopy.migration.protocol.DaemonConnection;
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

    @Option(names = "--vcpus", paramLabel = "N", defaultValue = "2",
            description = "Virtual CPUs, 1..8; the workload is shared out among them (default: ${DEFAULT-VALUE}).")
    int vcpus;

    @Option(names = "--workload", paramLabel = "SPEC", defaultValue = "kernel-compile",
            description = WorkloadSpec.USAGE + " (default: ${DEFAULT-VALUE}).")
    String workload;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the guest's random choices.")
    long seed;

    @Override
    public Integer call() {
        try (DaemonConnection daemon = DaemonClient.connect(top.config())) {
            DomainSummary d = daemon.create(name, memoryMiB, vcpus, workload, seed);
            System.out.printf("created %s (domain %d, %d MiB, %d vCPUs, %s)%n", d.name(), d.id().value(),
                    d.maxMemoryKiB() / 1024, vcpus, d.guest());
            return 0;
        }
    }
}
