package org.xenpostcopy.migration.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.peer.Completion;
import org.xenpostcopy.migration.protocol.thrift.TLatency;
import org.xenpostcopy.migration.protocol.thrift.TPagerWaits;

/** How the source reads the destination's split of the pager's waits, which arrives after the handover. */
class ThriftDestinationPeerTest {
    @Test
    void wellFormedWaitsReadAsSent() {
        Completion.Waits w = ThriftDestinationPeer.waits(new TPagerWaits(12, new TLatency(3_000, 8_000, 9_000)), "x");
        assertEquals(new Completion.Waits(12, new Completion.Latency(3_000, 8_000, 9_000)), w);
    }

    @Test
    void anOlderDestinationThatSentNoneReadsAsNotCounted() {
        assertEquals(Completion.Waits.UNKNOWN, ThriftDestinationPeer.waits(null, "x"));
    }

    /** The guest already runs at the destination with every page: a bad figure must not fail the migration. */
    @Test
    void malformedWaitsReadAsNotCountedInsteadOfFailingAFinishedMigration() {
        assertEquals(Completion.Waits.UNKNOWN, ThriftDestinationPeer.waits(new TPagerWaits(12, null), "x"));
        assertEquals(Completion.Waits.UNKNOWN,
                ThriftDestinationPeer.waits(new TPagerWaits(-3, new TLatency(1, 2, 3)), "x"));
    }
}
