package org.xenpostcopy.migration.source;

import java.util.EnumSet;
import java.util.Set;
import org.xenpostcopy.migration.PhaseMachine;

/**
 * An outgoing migration's phases. Who holds the whole VM: the source until {@link #SWITCHING} has returned;
 * after that the guest runs on the destination and the source's paused copy holds every page not yet sent.
 *
 * <pre>
 * PREPARING → PRECOPY_ROUNDS → SWITCHING → POSTCOPY → COMPLETED
 *     │             │              │  └──────────────────↗ (pre-copy: nothing left after the switch)
 *     └─────────────┴──────────────┴──────→ FAILED ←── POSTCOPY, PAUSED, RECOVERING
 * POSTCOPY ⇄ PAUSED → RECOVERING → POSTCOPY   (connection lost / re-established; the source keeps its copy)
 * SWITCHING → PAUSED                           (pre-copy: cut while the destination confirms the last pages)
 * PAUSED, RECOVERING → FAILING_BACK → FAILED  (the destination died: the guest resumes here from a checkpoint)
 * </pre>
 */
public enum SourcePhase implements PhaseMachine.Phase<SourcePhase> {
    /** Ballooning, creating the destination domain; the guest runs here. */
    PREPARING,
    /** Pre-copy and hybrid: live rounds while the guest runs here. */
    PRECOPY_ROUNDS,
    /** The guest is paused here; its state goes to the destination. */
    SWITCHING,
    /** The guest runs on the destination; the rest of its pages stream there. */
    POSTCOPY,
    /** The connection to the destination is lost; the source keeps its copy and waits to be reconnected. */
    PAUSED,
    /** Reconnected: what was in flight is sent again before the push goes on. */
    RECOVERING,
    /** The destination is given up on: its lease runs out, then the guest resumes here from the last checkpoint. */
    FAILING_BACK,
    COMPLETED,
    FAILED;

    @Override
    public Set<SourcePhase> next() {
        return switch (this) {
            case PREPARING -> EnumSet.of(PRECOPY_ROUNDS, SWITCHING, FAILED);
            case PRECOPY_ROUNDS -> EnumSet.of(SWITCHING, FAILED);
            case SWITCHING -> EnumSet.of(POSTCOPY, PAUSED, COMPLETED, FAILED);
            case POSTCOPY -> EnumSet.of(COMPLETED, PAUSED, FAILED);
            case PAUSED -> EnumSet.of(RECOVERING, FAILING_BACK, FAILED);
            case RECOVERING -> EnumSet.of(POSTCOPY, PAUSED, FAILING_BACK, FAILED);
            case FAILING_BACK -> EnumSet.of(FAILED);
            case COMPLETED, FAILED -> EnumSet.noneOf(SourcePhase.class);
        };
    }
}
