package org.xenpostcopy.migration;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A migration's phase, moved only along the edges its enum declares (as QEMU's {@code PostcopyState}): one
 * compare-and-set per move, logged once; a move from the wrong phase or along an undeclared edge throws, naming
 * both ends. Two threads racing for a move (a fault path noticing a dead link while the push finishes) cannot both
 * win.
 */
public final class PhaseMachine<P extends Enum<P> & PhaseMachine.Phase<P>> {
    private static final Logger LOG = System.getLogger(PhaseMachine.class.getName());

    /** A phase enum: each constant names where it may go next. */
    public interface Phase<P> {
        Set<P> next();
    }

    private final String owner;
    private final AtomicReference<P> phase;

    /** @param owner who moves, for the log and the errors ("session 1f2e…", "outgoing vm1") */
    public PhaseMachine(String owner, P initial) {
        this.owner = owner;
        this.phase = new AtomicReference<>(initial);
    }

    public P phase() {
        return phase.get();
    }

    /** Moves from {@code from} to {@code to}, or throws if the phase is not {@code from} or the edge is not declared. */
    public void advance(P from, P to) {
        if (!tryAdvance(from, to)) {
            throw new IllegalStateException(owner + " is " + phase.get() + ", cannot go from " + from + " to " + to);
        }
    }

    /** {@link #advance}, answering false instead of throwing when the phase is not {@code from}. */
    public boolean tryAdvance(P from, P to) {
        if (!from.next().contains(to)) {
            throw new IllegalStateException(owner + ": " + from + " -> " + to + " is not a transition");
        }
        if (!phase.compareAndSet(from, to)) {
            return false;
        }
        LOG.log(Level.DEBUG, "{0}: {1} -> {2}", owner, from, to);
        return true;
    }

    /** Moves to {@code to} from whatever phase it is in, if that phase allows it; false if none does. */
    public boolean advanceTo(P to) {
        while (true) {
            P now = phase.get();
            if (!now.next().contains(to)) {
                return false;
            }
            if (phase.compareAndSet(now, to)) {
                LOG.log(Level.DEBUG, "{0}: {1} -> {2}", owner, now, to);
                return true;
            }
        }
    }
}
