package org.xenpostcopy.migration.cli;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.control.ControlException;
import org.xenpostcopy.migration.control.DomainSummary;
import org.xenpostcopy.migration.evacuation.CandidateHost;
import org.xenpostcopy.migration.evacuation.EvacuationReport;
import org.xenpostcopy.migration.control.MigrateRequest;
import org.xenpostcopy.migration.evacuation.EvacuationScheduler;
import org.xenpostcopy.migration.evacuation.GuestOutcome;
import org.xenpostcopy.migration.evacuation.GuestToMove;
import org.xenpostcopy.migration.evacuation.Placement;
import org.xenpostcopy.migration.evacuation.PlacementPlanner;
import org.xenpostcopy.migration.protocol.DaemonConnection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code xlpc evacuate HOST}: every guest of HOST migrates to a host with room for it, a few at a time, post-copy
 * with self-ballooning unless told otherwise. Placement is {@link PlacementPlanner}'s, on the free memory each
 * candidate's daemon reports before the first guest goes; a guest that fits nowhere stays, and says why.
 */
@Command(name = "evacuate", description = {"Migrate every guest off HOST to the hosts with room for them.",
        "Destinations: --to H1,H2, else every host.NAME of the config but HOST; each guest goes, largest first, to the "
                + "one with the most free memory left, and never where it does not fit. Exit status 1 if any guest "
                + "was not moved or not verified."})
final class EvacuateCommand implements Callable<Integer> {
    @ParentCommand
    Xlpc top;

    @Spec
    CommandSpec spec;

    @Mixin
    MigrationFlags flags;

    @Parameters(index = "0", paramLabel = "HOST", description = "The host to empty: a host name from the config, or "
            + "HOST:PORT of its daemon.")
    String host;

    @Option(names = "--to", paramLabel = "H1,H2", split = ",", description = "Only these destinations (names from "
            + "the config or HOST:PORT).")
    List<String> to;

    @Option(names = "--parallel", paramLabel = "K", defaultValue = "2", description = "At most K migrations sending pages "
            + "at once (the source's daemon gives the turns), and K more getting ready meanwhile; a post-copy one "
            + "makes room once its last page is sent (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--no-dsb", description = "Do not self-balloon each guest before it goes (DSB is on by default "
            + "here: an evacuation is bounded by its link, and free pages need not cross it).")
    boolean noDsb;

    @Option(names = "--json", description = "Print the evacuation's report as JSON, and nothing else.")
    boolean json;

    @Override
    public Integer call() throws InterruptedException {
        if (parallel < 1) {
            throw new CliException("--parallel must be at least 1, not " + parallel, 2, null);
        }
        XlpcConfig config = top.config();
        MigrationOptions options = flags.options().withDsb(!noDsb || flags.dsb);
        InetSocketAddress source = config.target(host);
        Map<String, InetSocketAddress> destinations = destinations(config, source);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();

        List<GuestToMove> guests = new ArrayList<>();
        List<GuestOutcome> outcomes = new ArrayList<>();
        CommandSecurity security = new CommandSecurity(config);
        try (DaemonConnection daemon = DaemonClient.connect(source, security)) {
            for (DomainSummary d : daemon.listDomains()) {
                if (d.id().value() == 0) {
                    continue;   // dom0 is the host itself
                }
                GuestToMove g = new GuestToMove(d.name(), d.sizeKiB());
                String stays = !d.migration().isEmpty() ? "already migrating: " + d.migration()
                        : d.state().equals("running") || d.state().equals("paused") ? "" : "it is " + d.state();
                if (stays.isEmpty()) {
                    guests.add(g);
                } else {
                    outcomes.add(GuestOutcome.notMoved(new Placement.Unplaced(g, stays)));
                }
            }
        }
        List<CandidateHost> candidates = new ArrayList<>();
        for (Map.Entry<String, InetSocketAddress> d : destinations.entrySet()) {
            freeMemory(security, d.getValue(), d.getKey(), err).ifPresent(kib -> candidates.add(new CandidateHost(d.getKey(), kib)));
        }
        Placement plan = PlacementPlanner.plan(guests, candidates);
        plan.unplaced().forEach(u -> outcomes.add(GuestOutcome.notMoved(u)));
        if (!json) {
            out.printf("evacuate: %d guests off %s to %s; %d at a time, %s%n", guests.size(), host,
                    candidates.stream().map(c -> String.format(Locale.ROOT, "%s (%.0f MiB free)", c.name(),
                            c.freeKiB() / 1024.0)).toList(), parallel, mode(options));
            out.flush();
        }

        EvacuationView view = new EvacuationView(out, plan.assignments(), ProgressLine.terminal(), !json);
        long start = System.nanoTime();
        // The source's daemon lets K of them send at a time; as many more get ready meanwhile (baseline, ballooning),
        // so a place freed near a last page is taken at once, not seconds later.
        String group = "evacuation of " + host + " " + UUID.randomUUID();
        Map<String, Integer> rank = new HashMap<>();
        plan.assignments().forEach(a -> rank.put(a.guest().name(), rank.size()));
        outcomes.addAll(new EvacuationScheduler(2 * parallel).run(plan.assignments(),
                new DaemonGuestMover(security, source, destinations, options, view, a -> Optional.of(
                        new MigrateRequest.LinkTurn(group, parallel, rank.get(a.guest().name()))))));
        double totalMs = (System.nanoTime() - start) / 1e6;
        view.finish();
        outcomes.sort(Comparator.comparingLong((GuestOutcome o) -> o.guest().sizeKiB()).reversed()
                .thenComparing(o -> o.guest().name()));

        EvacuationReport report = new EvacuationReport(host, parallel, outcomes, totalMs);
        out.print(json ? report.toJson() + System.lineSeparator() : EvacuationTable.format(report));
        out.flush();
        return report.succeeded(options.verify()) ? 0 : 1;
    }

    /** The candidates by name, in a fixed order: --to as given, else the config's hosts by name; never HOST. */
    private Map<String, InetSocketAddress> destinations(XlpcConfig config, InetSocketAddress source) {
        List<String> names = to != null ? to : config.hosts().keySet().stream().sorted().toList();
        Map<String, InetSocketAddress> out = new LinkedHashMap<>();
        for (String name : names) {
            InetSocketAddress a = config.target(name);
            if (a.equals(source)) {
                if (to != null) {
                    throw new CliException("--to names " + name + ", the host being evacuated", 2, null);
                }
                continue;
            }
            out.put(name, a);
        }
        if (out.isEmpty()) {
            throw new CliException("no host to evacuate " + host + " to: name them with --to H1,H2, or as host.NAME "
                    + "in the config", 2, null);
        }
        return out;
    }

    /** What {@code name} can take; empty, with a warning, where its daemon is unreachable or cannot tell. */
    private static OptionalLong freeMemory(CommandSecurity security, InetSocketAddress a, String name, PrintWriter err) {
        try (DaemonConnection daemon = DaemonClient.connect(a, security)) {
            OptionalLong free = daemon.freeMemoryKiB();
            if (free.isEmpty()) {
                err.println("xlpc: " + name + " cannot tell its free memory; nothing goes there");
            }
            return free;
        } catch (ControlException | CliException e) {
            err.println("xlpc: " + name + " is left out: " + Xlpc.message(e));
            return OptionalLong.empty();
        }
    }

    private static String mode(MigrationOptions o) {
        return o.mode().wireName() + (o.mode().wireName().equals("precopy") ? "" : " (" + o.prepaging().wireName() + ")")
                + (o.dsb() ? " + DSB" : "");
    }
}
