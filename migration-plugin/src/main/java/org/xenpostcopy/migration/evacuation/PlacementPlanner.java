package org.xenpostcopy.migration.evacuation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Chooses a destination for each guest of an evacuated host: largest guest first, onto the candidate with the most
 * memory left, where "left" is what the host reported less every guest this plan already sent there (those are in
 * flight or queued, and the host's own figure does not know of them yet). A guest that fits nowhere is not placed.
 *
 * <p>Largest first, because a large guest has the fewest hosts it fits on, and because the scheduler starts guests
 * in this order, the longest migrations start first and the short ones fill in behind them. Most room first (worst
 * fit), because it spreads the guests, so parallel migrations land on different hosts, and leaves each host the most
 * headroom for its own guests' ballooning. Ties go to the earlier guest name and the earlier candidate, so a plan
 * is the same every time for the same input.
 */
public final class PlacementPlanner {
    private PlacementPlanner() {
    }

    /** The plan for {@code guests} over {@code candidates} (which must not include the evacuated host). */
    public static Placement plan(List<GuestToMove> guests, List<CandidateHost> candidates) {
        Map<String, Long> left = new LinkedHashMap<>();
        for (CandidateHost c : candidates) {
            if (left.putIfAbsent(c.name(), c.freeKiB()) != null) {
                throw new IllegalArgumentException("host " + c.name() + " is a candidate twice");
            }
        }
        List<GuestToMove> order = new ArrayList<>(guests);
        order.sort(Comparator.comparingLong(GuestToMove::sizeKiB).reversed().thenComparing(GuestToMove::name));
        List<Placement.Assignment> assigned = new ArrayList<>();
        List<Placement.Unplaced> unplaced = new ArrayList<>();
        for (GuestToMove g : order) {
            String best = null;
            for (Map.Entry<String, Long> h : left.entrySet()) {
                if (best == null || h.getValue() > left.get(best)) {
                    best = h.getKey();
                }
            }
            if (best != null && left.get(best) >= g.sizeKiB()) {
                left.put(best, left.get(best) - g.sizeKiB());
                assigned.add(new Placement.Assignment(g, best));
            } else {
                unplaced.add(new Placement.Unplaced(g, best == null ? "no destination host to go to"
                        : String.format(Locale.ROOT, "needs %s and the most any host has left is %s (%s)",
                        mib(g.sizeKiB()), mib(left.get(best)), best)));
            }
        }
        return new Placement(assigned, unplaced);
    }

    private static String mib(long kib) {
        return String.format(Locale.ROOT, "%.0f MiB", kib / 1024.0);
    }
}
