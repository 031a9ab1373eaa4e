package org.xenpostcopy.migration.source;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.peer.PageBatch;

/** What a mocked destination was pushed: the gfns of every batch, in the order they came. */
final class PushedGfns {
    private PushedGfns() {
    }

    /**
     * Makes {@code peer} (a mock) note the gfns of every push in the list returned. A batch is lent for the call only,
     * so it is read while the call lasts.
     */
    static List<Long> recordedBy(DestinationPeer peer) {
        List<Long> pushed = Collections.synchronizedList(new ArrayList<>());
        doAnswer(inv -> {
            PageBatch b = inv.getArgument(0);
            for (int i = 0; i < b.count(); i++) {
                pushed.add(b.gfns()[i]);
            }
            return null;
        }).when(peer).push(any());
        return pushed;
    }
}
