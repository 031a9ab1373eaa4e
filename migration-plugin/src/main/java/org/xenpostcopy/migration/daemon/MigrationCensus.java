package org.xenpostcopy.migration.daemon;

import java.util.Map;
import org.xenpostcopy.migration.destination.DestinationPhase;
import org.xenpostcopy.migration.source.SourcePhase;

/**
 * How many of a host's migrations are in each phase at one moment, both ways. Every phase of each role is a key
 * (most with 0), so a reader sees a phase empty rather than missing.
 */
public record MigrationCensus(Map<SourcePhase, Long> outgoing, Map<DestinationPhase, Long> incoming) {
    public MigrationCensus {
        outgoing = Map.copyOf(outgoing);
        incoming = Map.copyOf(incoming);
    }
}
