package org.xenpostcopy.migration.destination;

import java.util.Optional;
import org.xenpostcopy.migration.peer.Completion;

/**
 * What this host's incoming migrations tell an observer outside the engine (the daemon's metrics) as they go: the
 * seam that keeps the engine free of any metrics library. Calls come on the sessions' own threads — a fault's on the
 * thread that loaded its page — so an implementation must return at once and must not throw.
 */
public interface IncomingEvents {
    /** Tells nobody: tests, the lab and the benchmark. */
    IncomingEvents NONE = new IncomingEvents() {
    };

    /**
     * A guest vCPU that faulted on a missing page runs again: {@code nanos} from its request on the ring to the
     * answer, the same samples as the report's {@code pagerLatencyUs}.
     */
    default void faultAnswered(long nanos) {
    }

    /**
     * A session has ended and is forgotten (its domain kept, handed back or destroyed as {@code outcome} says).
     *
     * @param outcome    the terminal phase it reached: {@link DestinationPhase#COMPLETED}, {@code ABORTED},
     *                   {@code LOST} or {@code TAKEN_BACK} (its last phase if a teardown failed on the way)
     * @param completion its completion record, if it completed
     */
    default void sessionEnded(DestinationPhase outcome, Optional<Completion> completion) {
    }
}
