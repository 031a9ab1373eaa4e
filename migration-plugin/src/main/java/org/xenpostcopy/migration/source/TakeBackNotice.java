package org.xenpostcopy.migration.source;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import org.xenpostcopy.migration.MigrationException;
import org.xenpostcopy.migration.peer.DestinationPeer;
import org.xenpostcopy.migration.peer.PeerConnector;
import org.xenpostcopy.migration.peer.WireBytes;

/**
 * Telling a journaled session's destination that the source runs its guest again, after a restarted daemon failed it
 * back. Best effort: a destination that does not hear it now learns it on its next call to the page server, and until
 * then its lease keeps its copy paused.
 */
final class TakeBackNotice {
    private static final Logger LOG = System.getLogger(TakeBackNotice.class.getName());

    private TakeBackNotice() {
    }

    static void send(PeerConnector peers, SessionJournal.Entry entry, String why) {
        InetSocketAddress destination = new InetSocketAddress(entry.destinationHost(), entry.destinationPort());
        try (DestinationPeer peer = peers.destination(destination, entry.sessionId(), Math.min(entry.timeoutMs(),
                entry.stallMs()), entry.stallMs(), WireBytes.uncounted())) {
            peer.takenBack(why);
        } catch (MigrationException e) {
            LOG.log(Level.INFO, "session {0}: the destination did not hear the take-back ({1})", entry.sessionId(),
                    e.getMessage());
        }
    }
}
