package org.xenpostcopy.migration.cli;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.xenpostcopy.balloon.BalloonPolicy;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.daemon.HostAgent;
import org.xenpostcopy.migration.report.MigrationReport;
import org.xenpostcopy.migration.tls.ChannelSecurity;
import org.xenpostcopy.xen.DomainConfig;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.emulated.EmulatedXenHost;
import org.xenpostcopy.xen.emulated.guest.WorkloadSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code xlpc lab}: two (or more) emulated hosts in this process, each with its agent on loopback; a guest boots on
 * the first, runs, and migrates over real Thrift connections host to host, and the report is printed.
 */
@Command(name = "lab", description = "Show a migration on a fresh machine: emulated hosts in this process, a guest "
        + "running a workload, migrated over real Thrift on loopback. Defaults: 1 GiB kernel-compile, post-copy + "
        + "bubble + DSB.")
final class LabCommand implements Callable<Integer> {
    @Mixin
    MigrationFlags flags;

    @Option(names = "--hosts", defaultValue = "2", description = "Emulated hosts; the guest hops along all of them "
            + "(default: ${DEFAULT-VALUE}).")
    int hosts;

    @Option(names = "--memory", paramLabel = "MiB", defaultValue = "1024", description = "Guest memory (default: ${DEFAULT-VALUE}).")
    long memoryMiB;

    @Option(names = "--vcpus", paramLabel = "N", defaultValue = "2",
            description = "Guest vCPUs, 1..8; the workload is shared out among them (default: ${DEFAULT-VALUE}).")
    int vcpus;

    @Option(names = "--workload", paramLabel = "SPEC", defaultValue = "kernel-compile",
            description = WorkloadSpec.USAGE + " (default: ${DEFAULT-VALUE}).")
    String workload;

    @Option(names = "--warmup-ms", defaultValue = "2000", description = "How long the guest runs before migrating.")
    long warmupMs;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the guest program's random choices (where "
            + "a stress sweep starts, what a compile touches), so a run can be repeated (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--no-dsb", description = "Do not self-balloon (DSB is on by default in the lab).")
    boolean noDsb;

    @Option(names = "--json", description = "Print the report as JSON (an array with --hosts > 2), and nothing else.")
    boolean json;

    @Override
    public Integer call() {
        if (hosts < 2 || hosts > 8) {
            throw new CliException("--hosts must be 2..8, not " + hosts, 2, null);
        }
        MigrationOptions options = flags.options().withDsb(!noDsb || flags.dsb);
        PrintStream out = System.out;
        boolean tty = !json && ProgressLine.terminal();
        List<EmulatedXenHost> xen = new ArrayList<>();
        List<HostAgent> agents = new ArrayList<>();
        List<MigrationReport> reports = new ArrayList<>();
        try {
            for (int i = 0; i < hosts; i++) {
                EmulatedXenHost h = new EmulatedXenHost("host" + i);
                xen.add(h);
                agents.add(new HostAgent(h, new InetSocketAddress("127.0.0.1", 0), BalloonPolicy.defaults(), "",
                        ChannelSecurity.plain()));
            }
            if (!json) {
                out.printf("lab: %d emulated hosts on loopback (%s)%n", hosts, agents.stream()
                        .map(a -> a.address().getHostString() + ":" + a.address().getPort()).toList());
                out.printf("lab: booting a %d MiB guest of %d vCPUs running %s on host0%n", memoryMiB, vcpus, workload);
            }
            DomainId d;
            try {
                d = xen.get(0).domains().create(DomainConfig.ofMiB("lab-guest", memoryMiB, vcpus, workload, seed), true);
            } catch (XenException e) {
                throw new CliException("cannot boot the guest: " + e.getMessage(), 2, e);
            }
            xen.get(0).domains().unpause(d);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(warmupMs);
            while (System.nanoTime() < deadline) {
                LockSupport.parkNanos(deadline - System.nanoTime());   // let the guest run: this is the demo's pace
            }
            for (int i = 0; i + 1 < hosts; i++) {
                if (!json) {
                    out.printf("lab: migrating %s from host%d to host%d (%s%s%s)%n", "dom" + d.value(), i, i + 1,
                            options.mode().wireName(), options.mode().wireName().equals("precopy") ? ""
                                    : ", " + options.prepaging().wireName(), options.dsb() ? ", DSB" : "");
                }
                ProgressLine progress = new ProgressLine(out, tty);
                MigrationReport r = agents.get(i).migrate(d, agents.get(i + 1).address(), options, progress::update);
                progress.finish();
                reports.add(r);
                if (!json) {
                    out.print(ReportTable.format(r));
                }
                d = DomainId.of(r.destinationDomain());
            }
            if (json) {
                out.println(reports.size() == 1 ? reports.get(0).toJson()
                        : "[" + String.join(",\n", reports.stream().map(MigrationReport::toJson).toList()) + "]");
            }
            out.flush();
            return reports.stream().allMatch(MigrationReport::verified) || !options.verify() ? 0 : 1;
        } finally {
            agents.forEach(HostAgent::close);
            xen.forEach(EmulatedXenHost::close);
        }
    }
}
