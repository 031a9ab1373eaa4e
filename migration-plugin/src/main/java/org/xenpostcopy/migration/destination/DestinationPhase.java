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
 *    │          ├──→ PAUSED → RECOVERING → RUNNING   (the source unreachable; vCPUs that fault wait)
 *    │          └──→ TAKEN_BACK (also from PAUSED, RECOVERING: the source restored the guest from a checkpoint)
 *    │               (RUNNING → RECOVERING when the source reconnects before the cut is seen here;
 *    │                PAUSED, RECOVERING → COMPLETED when the last page had landed before the cut)
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
    LOST,
    /** The source runs the guest again from its copy and the last checkpoint; the copy here is destroyed. */
    TAKEN_BACK;

    @Override
    public Set<DestinationPhase> next() {
        return switch (this) {
            case PREPARED -> EnumSet.of(RUNNING, ABORTED);
            case RUNNING -> EnumSet.of(COMPLETED, PAUSED, RECOVERING, LOST, TAKEN_BACK);
            case PAUSED -> EnumSet.of(RECOVERING, COMPLETED, LOST, TAKEN_BACK);
            case RECOVERING -> EnumSet.of(RUNNING, PAUSED, COMPLETED, LOST, TAKEN_BACK);
            case COMPLETED, ABORTED, LOST, TAKEN_BACK -> EnumSet.noneOf(DestinationPhase.class);
        };
    }
}
