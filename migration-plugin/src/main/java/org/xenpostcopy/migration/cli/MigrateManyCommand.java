package org.xenpostcopy.migration.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.xenpostcopy.migration.MigrationOptions;
import org.xenpostcopy.migration.control.DomainSummary;
import org.xenpostcopy.migration.evacuation.EvacuationScheduler;
import org.xenpostcopy.migration.evacuation.GuestMover;
import org.xenpostcopy.migration.evacuation.GuestOutcome;
import org.xenpostcopy.migration.evacuation.GuestToMove;
import org.xenpostcopy.migration.evacuation.LinkShare;
import org.xenpostcopy.migration.evacuation.Placement;
import org.xenpostcopy.migration.protocol.DaemonConnection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code xlpc migrate-many GUEST@FROM=TO...}: several migrations at once between several hosts, each one as
 * {@code xlpc migrate} would run it in its source's daemon, with a live line each (phase, pages, rate), then a table
 * of what each got — its rate at the socket and its guest's fault latency — and how evenly they shared the links.
 * The evacuation's scheduler and view run them; only here may guests leave from different hosts.
 */
@Command(name = "migrate-many", description = {"Migrate several guests at once, each from its host to another.",
        "Each MOVE is GUEST@FROM=TO, FROM and TO host names from the config or HOST:PORT. All start together (or "
                + "--parallel K at a time); a line per migration shows its phase, pages and MB/s while it runs; then a "
                + "table: pages, MB/s at the socket, the guest's fault latency p50/p99, verified; and how evenly the "
                + "migrations leaving each host shared its link (Jain's index). Exit status 1 if any migration failed "
                + "or did not verify."})
final class MigrateManyCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParentCommand
    Xlpc top;

    @Spec
    CommandSpec spec;

    @Mixin
    MigrationFlags flags;

    @Parameters(arity = "1..*", paramLabel = "GUEST@FROM=TO", description = "A guest, the host it is on, the host it "
            + "goes to.")
    List<String> moves;

    @Option(names = "--parallel", paramLabel = "K", defaultValue = "0", description = "At most K migrations at once "
            + "(default: all of them).")
    int parallel;

    @Option(names = "--json", description = "Print the migrations' reports and their link share as JSON, and "
            + "nothing else.")
    boolean json;

    @Option(names = "--json-file", paramLabel = "FILE", description = "Also write that JSON to FILE, while the live "
            + "lines and the table go to the terminal as usual.")
    Path jsonFile;

    /** One migration asked for: the guest, its host and its destination as the user named them. */
    private record Move(String guest, String from, String to) {
        static Move parse(String text) {
            int at = text.indexOf('@');
            int eq = text.lastIndexOf('=');
            if (at <= 0 || eq < at + 2 || eq == text.length() - 1) {
                throw new CliException("'" + text + "' is not GUEST@FROM=TO (e.g. vm1@h1=h2)", 2, null);
            }
            return new Move(text.substring(0, at), text.substring(at + 1, eq), text.substring(eq + 1));
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        if (parallel < 0) {
            throw new CliException("--parallel must be at least 1 (or 0: all at once), not " + parallel, 2, null);
        }
        XlpcConfig config = top.config();
        MigrationOptions options = flags.options();
        Map<String, Move> byGuest = new LinkedHashMap<>();
        for (String text : moves) {
            Move m = Move.parse(text);
            if (byGuest.put(m.guest(), m) != null) {
                throw new CliException("guest " + m.guest() + " is named twice", 2, null);
            }
            if (config.target(m.from()).equals(config.target(m.to()))) {
                throw new CliException(text + ": a guest cannot migrate to the host it is on", 2, null);
            }
        }
        Map<String, InetSocketAddress> hosts = new LinkedHashMap<>();
        CommandSecurity security = new CommandSecurity(config);
        byGuest.values().forEach(m -> {
            hosts.put(m.from(), config.target(m.from()));
            hosts.put(m.to(), config.target(m.to()));
        });

        List<Placement.Assignment> assignments = new ArrayList<>();
        for (Move m : byGuest.values()) {
            assignments.add(new Placement.Assignment(new GuestToMove(m.guest(), sizeKiB(security, hosts, m)), m.to()));
        }
        PrintWriter out = spec.commandLine().getOut();
        int k = parallel == 0 ? assignments.size() : parallel;
        if (!json) {
            out.printf("migrate-many: %d migrations, %d at a time%n", assignments.size(), k);
            out.flush();
        }
        EvacuationView view = new EvacuationView(out, assignments, ProgressLine.terminal(), !json);
        Map<String, DaemonGuestMover> moverOfSource = new HashMap<>();
        for (Move m : byGuest.values()) {
            moverOfSource.computeIfAbsent(m.from(), f -> new DaemonGuestMover(security, hosts.get(f), hosts,
                    options, view));
        }
        // Each holds its place to the end, not only to about its last page as an evacuation's do: --parallel 1 is how
        // a migration is measured alone, and the next one's start must not overlap even its completion.
        GuestMover mover = (a, linkDone) -> moverOfSource.get(byGuest.get(a.guest().name()).from()).move(a, () -> { });
        long start = System.nanoTime();
        List<GuestOutcome> outcomes = new EvacuationScheduler(k).run(assignments, mover);
        double totalMs = (System.nanoTime() - start) / 1e6;
        view.finish();

        List<LinkShare.Transfer> transfers = new ArrayList<>();
        for (GuestOutcome o : outcomes) {
            o.report().ifPresent(r -> transfers.add(new LinkShare.Transfer(byGuest.get(o.guest().name()).from(),
                    LinkShare.rateMBps(r))));
        }
        LinkShare share = transfers.isEmpty() ? null : LinkShare.of(transfers);
        String report = json(outcomes, byGuest, share, k, totalMs);
        if (jsonFile != null) {
            try {
                Files.writeString(jsonFile, report + System.lineSeparator());
            } catch (IOException e) {
                throw new CliException("cannot write " + jsonFile + ": " + e.getMessage());
            }
        }
        out.print(json ? report + System.lineSeparator()
                : MigrationsTable.format(outcomes, g -> byGuest.get(g).from(), share, k, totalMs));
        out.flush();
        boolean allVerified = outcomes.stream().allMatch(o -> o.result() == GuestOutcome.Result.MOVED
                && (o.verified() || !options.verify()));
        return allVerified ? 0 : 1;
    }

    /** The guest's size as its host's daemon lists it; refuses a guest that is not there. */
    private static long sizeKiB(CommandSecurity security, Map<String, InetSocketAddress> hosts, Move m) {
        try (DaemonConnection daemon = DaemonClient.connect(hosts.get(m.from()), security)) {
            for (DomainSummary d : daemon.listDomains()) {
                if (d.name().equals(m.guest()) && d.id().value() != 0) {
                    return d.sizeKiB();
                }
            }
        }
        throw new CliException("guest " + m.guest() + " is not on " + m.from(), 2, null);
    }

    /**
     * {@code parallel}, {@code totalMs}, {@code linkShare} (as {@link LinkShare}'s fields; null if none moved) and
     * {@code migrations}: per migration {@code guest}, {@code from}, {@code to}, {@code outcome}, {@code reason},
     * {@code rateMBps}, {@code verified} and the whole migration {@code report} (null unless moved).
     */
    private static String json(List<GuestOutcome> outcomes, Map<String, Move> byGuest, LinkShare share, int parallel,
                               double totalMs) {
        ObjectNode root = JSON.createObjectNode();
        root.put("parallel", parallel);
        root.put("totalMs", totalMs);
        root.set("linkShare", JSON.valueToTree(share));
        ArrayNode list = root.putArray("migrations");
        try {
            for (GuestOutcome o : outcomes) {
                ObjectNode g = list.addObject();
                Move m = byGuest.get(o.guest().name());
                g.put("guest", m.guest());
                g.put("from", m.from());
                g.put("to", m.to());
                g.put("outcome", o.result().wireName());
                g.put("reason", o.reason());
                g.put("rateMBps", o.report().map(LinkShare::rateMBps).orElse(0.0));
                g.put("verified", o.verified());
                g.set("report", o.report().isPresent() ? JSON.readTree(o.report().get().toJson()) : JSON.nullNode());
            }
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
