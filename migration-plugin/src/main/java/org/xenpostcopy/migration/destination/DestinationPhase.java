package org.xenpostcopy.migration.destination;

import java.util.EnumSet;
import java.util.Set;
import org.xenpostcopy.migration.PhaseMachine;

/**
 * An incoming migration's phases, mirroring the source's.
 *
 * <pre>
 * PREPARED → RUNNING → COMPLETED
 *    │          ├──→ LOST      (the guest stopped here before its last page arrived)
 *    │          └──→ PAUSED → RECOVERING → RUNNING   (the source unreachable; vCPUs that fault wait)
 *    └──→ ABORTED              (the source gave up before the switch; the domain is destroyed)
 * </pre>
 */
public enum DestinationPhase implements PhaseMachine.Phase<DestinationPhase> {
    /** The domain exists, paused; pre-copy pages may arrive. */
    PREPARED,
    /** The guest runs here; post-copy pages are still arriving (none in pre-copy). */
    RUNNING,
    /** The source cannot be reached: faulting vCPUs wait, nothing is lost. */
    PAUSED,
    /** Reconnected: faults still unanswered are asked again. */
    RECOVERING,
    COMPLETED,
    ABORTED,
    LOST;

    @Override
    public Set<DestinationPhase> next() {
        return switch (this) {
            case PREPARED -> EnumSet.of(RUNNING, ABORTED);
            case RUNNING -> EnumSet.of(COMPLETED, PAUSED, LOST);
            case PAUSED -> EnumSet.of(RECOVERING, LOST);
            case RECOVERING -> EnumSet.of(RUNNING, PAUSED, LOST);
            case COMPLETED, ABORTED, LOST -> EnumSet.noneOf(DestinationPhase.class);
        };
    }
}
