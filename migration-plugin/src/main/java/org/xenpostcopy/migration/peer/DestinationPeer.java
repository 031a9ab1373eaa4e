package org.xenpostcopy.migration.peer;

import java.net.InetSocketAddress;
import org.xenpostcopy.migration.RemoteError;
import org.xenpostcopy.xen.GfnBitmap;

/**
 * The destination, as one outgoing migration's source sees it: bound to one session, over a control channel
 * (prepare, resume, complete, abort) and a bulk channel (push) of its own, so a long push never holds up a
 * control call. Every method throws {@link PeerException}; {@link RemoteError#CONNECTION} means the peer's state
 * is unknown.
 */
public interface DestinationPeer extends AutoCloseable {
    /** Creates the destination domain (post-copy: every page paged out) while the guest still runs here. */
    Prepare.Reply prepare(Prepare request);

    /** Hands the guest over: when this returns, the guest runs on the destination. */
    Resume.Reply resume(Resume request);

    /** Sends a batch on the bulk channel without waiting for an answer; the batch may be reused on return. */
    void push(PageBatch batch);

    /** Waits until every page is loaded at the destination, has it check the guest, and returns its record. */
    Completion complete(Complete request);

    /**
     * Proves the link alive (on a connection of its own, so a long {@link #complete} never delays it) and reports
     * the destination's side; the destination counts the source as gone when these stop.
     */
    LinkState heartbeat();

    /**
     * Re-attaches to the session after a cut, on fresh connections: the destination stops its demand channel and
     * returns the gfns it still waits for (empty once complete), which the source must send again.
     *
     * @param gfnCount the session's physmap span
     * @param source   where the destination's demand connection reaches the source from now on
     */
    Reattachment reconnect(long gfnCount, InetSocketAddress source);

    /** Ends a recovery: the destination reopens its demand channel and asks again for every fault still waiting. */
    void recovered();

    /** Gives the session up; the destination destroys its domain (refused once the guest runs there). */
    void abort(String reason);

    /**
     * After a fail-back (the guest runs here again from the last checkpoint): the destination destroys its copy,
     * which its lease or its restarted daemon holds paused.
     */
    void takenBack(String reason);

    @Override
    void close();
}
