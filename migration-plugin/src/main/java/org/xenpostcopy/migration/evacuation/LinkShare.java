package org.xenpostcopy.migration.evacuation;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.xenpostcopy.migration.report.MigrationReport;

/**
 * How evenly migrations that ran at once shared the links they crossed: the spread of their rates and Jain's
 * fairness index, {@code (Σx)² / (n·Σx²)} — 1 when every one got the same, {@code 1/n} when one got everything.
 *
 * <p>Each host's sending link is taken as the bottleneck (as in the cluster lab, where each host shapes what it
 * sends), so migrations are compared with those leaving the same host: {@link #jainBySender}. Across hosts, a host
 * sending three migrations gives each a third of its link and one sending two gives each a half, so raw rates differ
 * by design; {@link #jainOfShares} compares each rate times the number of migrations sharing its sender — the
 * fraction of its fair share it got, up to the link rate, which is the same on every host of a lab.
 *
 * @param minMBps      the slowest migration's rate, MB/s at the socket
 * @param jain         Jain's index of the raw rates
 * @param jainBySender Jain's index of the rates of the migrations leaving each host, by host
 * @param jainOfShares Jain's index of each rate times the migrations that shared its sender
 */
public record LinkShare(double minMBps, double medianMBps, double maxMBps, double jain,
                        Map<String, Double> jainBySender, double jainOfShares) {

    /** One migration: the host it left and its rate there. */
    public record Transfer(String sender, double mbPerS) {
        public Transfer {
            Objects.requireNonNull(sender, "sender");
            if (!(mbPerS >= 0)) {
                throw new IllegalArgumentException("a rate must be 0 or more, not " + mbPerS);
            }
        }
    }

    public LinkShare {
        jainBySender = Map.copyOf(jainBySender);
    }

    /** @throws IllegalArgumentException if {@code transfers} is empty */
    public static LinkShare of(List<Transfer> transfers) {
        if (transfers.isEmpty()) {
            throw new IllegalArgumentException("no migrations to compare");
        }
        double[] rates = transfers.stream().mapToDouble(Transfer::mbPerS).sorted().toArray();
        int n = rates.length;
        double median = n % 2 == 1 ? rates[n / 2] : (rates[n / 2 - 1] + rates[n / 2]) / 2;

        Map<String, List<Transfer>> bySender = new HashMap<>();
        transfers.forEach(t -> bySender.computeIfAbsent(t.sender(), s -> new java.util.ArrayList<>()).add(t));
        Map<String, Double> jainBySender = new TreeMap<>();
        bySender.forEach((s, ts) -> jainBySender.put(s, jain(ts.stream().mapToDouble(Transfer::mbPerS).toArray())));
        double[] shares = transfers.stream().mapToDouble(t -> t.mbPerS() * bySender.get(t.sender()).size()).toArray();
        return new LinkShare(rates[0], median, rates[n - 1], jain(rates), jainBySender, jain(shares));
    }

    /** Jain's fairness index of {@code x}: 1 if all are equal (or all zero). */
    public static double jain(double[] x) {
        double sum = Arrays.stream(x).sum();
        double squares = Arrays.stream(x).map(v -> v * v).sum();
        return squares == 0 ? 1 : sum * sum / (x.length * squares);
    }

    /**
     * A migration's rate at the socket in MB/s: the bytes it sent to the destination over the time it had the guest
     * there and pages still to send (post-copy), or over its whole time where there is no such phase (pre-copy).
     * Bytes of the prepare and switch (the domain's description, vCPU state) are counted too; they are a few kB.
     */
    public static double rateMBps(MigrationReport r) {
        double ms = r.postCopyMs() > 0 ? r.postCopyMs() : r.totalMigrationMs();
        return ms > 0 ? r.bytesToDestination() / 1e3 / ms : 0;
    }
}
