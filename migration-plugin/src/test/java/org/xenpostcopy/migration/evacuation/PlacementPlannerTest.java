package org.xenpostcopy.migration.evacuation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Placement on canned sizes: what fits goes, largest first, to the most room left; nothing is over-committed. */
class PlacementPlannerTest {
    private static final long MIB = 1024;

    private static GuestToMove guest(String name, long mib) {
        return new GuestToMove(name, mib * MIB);
    }

    private static CandidateHost host(String name, long mib) {
        return new CandidateHost(name, mib * MIB);
    }

    private static Map<String, String> hostOf(Placement p) {
        Map<String, String> m = new HashMap<>();
        p.assignments().forEach(a -> m.put(a.guest().name(), a.host()));
        return m;
    }

    @Test
    void largestFirstOntoTheHostWithTheMostLeft() {
        Placement p = PlacementPlanner.plan(List.of(guest("small", 512), guest("big", 2048), guest("mid", 1024)),
                List.of(host("b", 3000), host("c", 2500)));
        assertEquals(List.of("big", "mid", "small"), p.assignments().stream().map(a -> a.guest().name()).toList(),
                "started largest first");
        // big -> b (3000 > 2500, 952 left); mid -> c (2500 > 952, 1476 left); small -> c (1476 > 952).
        assertEquals(Map.of("big", "b", "mid", "c", "small", "c"), hostOf(p));
        assertTrue(p.unplaced().isEmpty());
    }

    @Test
    void aGuestThatFitsNowhereIsNotPlacedAndSaysWhy() {
        Placement p = PlacementPlanner.plan(List.of(guest("huge", 4096), guest("fits", 1024)),
                List.of(host("b", 2048), host("c", 1500)));
        assertEquals(Map.of("fits", "b"), hostOf(p));
        assertEquals(1, p.unplaced().size());
        assertEquals("huge", p.unplaced().get(0).guest().name());
        assertEquals("needs 4096 MiB and the most any host has left is 2048 MiB (b)", p.unplaced().get(0).reason());
    }

    @Test
    void whatItAlreadyPlacedCountsAgainstAHost() {
        // Two 1 GiB guests and one host with room for 1.5 GiB: the second must not go there too.
        Placement p = PlacementPlanner.plan(List.of(guest("a", 1024), guest("b", 1024)), List.of(host("h", 1536)));
        assertEquals(Map.of("a", "h"), hostOf(p));
        assertEquals("needs 1024 MiB and the most any host has left is 512 MiB (h)", p.unplaced().get(0).reason());
    }

    @Test
    void anExactFitFits() {
        Placement p = PlacementPlanner.plan(List.of(guest("a", 1024)), List.of(host("h", 1024)));
        assertEquals(Map.of("a", "h"), hostOf(p));
    }

    @Test
    void onlyTheCandidatesGivenAreUsed() {
        // --to c: the planner is given c alone, and a guest that would fit on a roomier host elsewhere waits for c.
        Placement p = PlacementPlanner.plan(List.of(guest("a", 512), guest("b", 512), guest("c", 512)),
                List.of(host("c-host", 1100)));
        assertTrue(p.assignments().stream().allMatch(a -> a.host().equals("c-host")), p.toString());
        assertEquals(2, p.assignments().size());
        assertEquals(1, p.unplaced().size());
    }

    @Test
    void noCandidatesPlacesNothing() {
        Placement p = PlacementPlanner.plan(List.of(guest("a", 64)), List.of());
        assertEquals("no destination host to go to", p.unplaced().get(0).reason());
    }

    @Test
    void tiesAreBrokenByNameAndByCandidateOrderSoAPlanRepeats() {
        List<GuestToMove> guests = List.of(guest("y", 256), guest("x", 256));
        List<CandidateHost> hosts = List.of(host("b", 1024), host("c", 1024));
        Placement p = PlacementPlanner.plan(guests, hosts);
        assertEquals(Map.of("x", "b", "y", "c"), hostOf(p));
        assertEquals(p, PlacementPlanner.plan(List.of(guests.get(1), guests.get(0)), hosts));
    }

    @Test
    void aHostNamedTwiceIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> PlacementPlanner.plan(List.of(guest("a", 1)), List.of(host("b", 2), host("b", 3))));
    }

    /** Seeded random workloads: whatever the sizes, no host is given more than it had, and every guest is accounted for. */
    @Test
    void nothingIsOverCommittedOnRandomInputs() {
        Random random = new Random(17);
        for (int round = 0; round < 500; round++) {
            List<GuestToMove> guests = new ArrayList<>();
            for (int i = random.nextInt(12); i >= 0; i--) {
                guests.add(guest("g" + i, 64 + random.nextInt(4096)));
            }
            List<CandidateHost> hosts = new ArrayList<>();
            for (int i = random.nextInt(4); i >= 0; i--) {
                hosts.add(host("h" + i, random.nextInt(8192)));
            }
            Placement p = PlacementPlanner.plan(guests, hosts);
            Map<String, Long> given = new HashMap<>();
            p.assignments().forEach(a -> given.merge(a.host(), a.guest().sizeKiB(), Long::sum));
            for (CandidateHost h : hosts) {
                assertTrue(given.getOrDefault(h.name(), 0L) <= h.freeKiB(), "round " + round + ": " + h + " got " + given);
            }
            assertEquals(guests.size(), p.assignments().size() + p.unplaced().size(), "round " + round);
            for (Placement.Unplaced u : p.unplaced()) {
                long mostLeft = hosts.stream().mapToLong(h -> h.freeKiB() - given.getOrDefault(h.name(), 0L)).max()
                        .orElse(0);
                assertTrue(u.guest().sizeKiB() > mostLeft, "round " + round + ": " + u + " would have fit");
            }
            for (int i = 1; i < p.assignments().size(); i++) {
                assertTrue(p.assignments().get(i - 1).guest().sizeKiB() >= p.assignments().get(i).guest().sizeKiB());
            }
        }
    }
}
