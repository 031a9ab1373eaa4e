package org.xenpostcopy.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.destination.DestinationPhase;
import org.xenpostcopy.migration.source.SourcePhase;

/** Walks every edge of both phase enums, and every non-edge: each declared move works, every other one throws. */
class PhaseMachineTest {
    private static <P extends Enum<P> & PhaseMachine.Phase<P>> void walk(Class<P> type) {
        for (P from : type.getEnumConstants()) {
            for (P to : type.getEnumConstants()) {
                PhaseMachine<P> m = new PhaseMachine<>("test", from);
                if (from.next().contains(to)) {
                    m.advance(from, to);
                    assertEquals(to, m.phase(), from + " -> " + to);
                } else {
                    assertThrows(IllegalStateException.class, () -> m.advance(from, to), from + " -> " + to);
                    assertEquals(from, m.phase());
                }
            }
        }
    }

    @Test
    void everySourceEdgeAndNoOther() {
        walk(SourcePhase.class);
    }

    @Test
    void everyDestinationEdgeAndNoOther() {
        walk(DestinationPhase.class);
    }

    @Test
    void aMoveFromAPhaseItIsNotInFailsAndChangesNothing() {
        PhaseMachine<SourcePhase> m = new PhaseMachine<>("test", SourcePhase.PREPARING);
        assertFalse(m.tryAdvance(SourcePhase.SWITCHING, SourcePhase.POSTCOPY));
        assertThrows(IllegalStateException.class, () -> m.advance(SourcePhase.SWITCHING, SourcePhase.POSTCOPY));
        assertEquals(SourcePhase.PREPARING, m.phase());
    }

    @Test
    void advanceToTakesAnyAllowedEdgeAndRefusesFromTerminalPhases() {
        PhaseMachine<SourcePhase> m = new PhaseMachine<>("test", SourcePhase.POSTCOPY);
        assertTrue(m.advanceTo(SourcePhase.FAILED));
        assertFalse(m.advanceTo(SourcePhase.COMPLETED), "FAILED is final");
        assertEquals(SourcePhase.FAILED, m.phase());
    }

    @Test
    void terminalPhasesGoNowhereAndEveryOtherPhaseCanFailOrBeLost() {
        Set<SourcePhase> sourceEnds = EnumSet.of(SourcePhase.COMPLETED, SourcePhase.FAILED);
        for (SourcePhase p : SourcePhase.values()) {
            assertEquals(sourceEnds.contains(p), p.next().isEmpty(), p.name());
            assertTrue(sourceEnds.contains(p) || p.next().contains(SourcePhase.FAILED), p + " can fail");
        }
        assertTrue(SourcePhase.POSTCOPY.next().contains(SourcePhase.PAUSED), "room for a lost connection");
        assertTrue(DestinationPhase.RUNNING.next().contains(DestinationPhase.PAUSED));
        assertTrue(DestinationPhase.PAUSED.next().contains(DestinationPhase.RECOVERING));
    }
}
