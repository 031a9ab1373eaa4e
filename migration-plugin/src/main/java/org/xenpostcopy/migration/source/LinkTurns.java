package org.xenpostcopy.migration.source;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Turns at this host's link for migrations that agreed to share it, such as an evacuation's: at most {@code places}
 * of one group send pages at once. The others measure their baseline and balloon meanwhile, and then wait, ready;
 * when a place frees, the waiting migration with the most pages to send goes (longest first: the group's last page
 * is then sent soonest, with no big migration left to send alone at the end), then the earliest in the group's
 * order. A place is never kept for a migration that is not ready. One thread uses a turn at a time (the
 * migration's own).
 *
 * <p>Kept here, in the source's daemon, rather than by the client that planned the group: the daemon sees a
 * migration reach its first and its last page the moment it happens, where a client polling its status sees it up to
 * a poll later, and a link left idle for that long is what this is for. A group lives as long as it has members;
 * its number of places is the one its first member brought.
 */
public final class LinkTurns {
    /**
     * A migration's place in a group: {@link #await} before its first page, {@link #release} about 0.3 s before its
     * last ({@link PushScheduler#HANDOFF_NANOS}), or at its last if it cannot tell.
     */
    public interface Turn {
        /**
         * Waits at most {@code timeoutMs} for this migration's turn: true once it has it (at once while it holds it);
         * false if the time ran out, with the migration still queued in its place for the next call.
         *
         * @throws InterruptedException if interrupted while waiting; the migration has then left its group
         * @throws IllegalStateException if the turn was given back
         */
        boolean await(long timeoutMs) throws InterruptedException;

        /**
         * How many pages this migration will send, which places it among those waiting (most first); said before
         * {@link #await}, once it has ballooned.
         */
        void toSend(long pages);

        /** Gives back the place, or leaves the queue; again, it does nothing. */
        void release();
    }

    /** The turn of a migration that shares the link with no agreement: it never waits. */
    public static final Turn ANY_TIME = new Turn() {
        @Override
        public boolean await(long timeoutMs) {
            return true;
        }

        @Override
        public void toSend(long pages) {
        }

        @Override
        public void release() {
        }
    };

    private final Map<String, Group> groups = new HashMap<>();
    private long joined;

    /**
     * Joins {@code group} at position {@code rank} of its order (among those waiting with as many pages to send,
     * lower ranks go first). A group is made by its first member with that member's {@code places}; later members'
     * are not looked at.
     */
    public synchronized Turn join(String group, int places, int rank) {
        Objects.requireNonNull(group, "group");
        if (places < 1) {
            throw new IllegalArgumentException("a group needs at least one place at the link, not " + places);
        }
        Group g = groups.computeIfAbsent(group, name -> new Group(name, places));
        g.members++;
        return new Member(g, rank, joined++);
    }

    /** Groups with a member now (for tests). */
    synchronized int groups() {
        return groups.size();
    }

    /** Members of {@code group} sending now (for tests). */
    synchronized int sending(String group) {
        Group g = groups.get(group);
        return g == null ? 0 : g.sending;
    }

    /** Members of {@code group} waiting for a place now (for tests). */
    synchronized int waiting(String group) {
        Group g = groups.get(group);
        return g == null ? 0 : g.waiting.size();
    }

    private final class Group {
        final String name;
        final int places;
        /** Members waiting for a place, earliest in the order first. */
        final TreeSet<Member> waiting = new TreeSet<>();
        int sending;
        int members;

        Group(String name, int places) {
            this.name = name;
            this.places = places;
        }
    }

    private enum State { JOINED, WAITING, SENDING, GONE }

    private final class Member implements Turn, Comparable<Member> {
        private final Group group;
        private final int rank;
        private final long sequence;
        private long pagesToSend;
        private State state = State.JOINED;

        Member(Group group, int rank, long sequence) {
            this.group = group;
            this.rank = rank;
            this.sequence = sequence;
        }

        @Override
        public boolean await(long timeoutMs) throws InterruptedException {
            synchronized (LinkTurns.this) {
                if (state == State.SENDING) {
                    return true;
                }
                if (state == State.GONE) {
                    throw new IllegalStateException("this turn at the link of group " + group.name + " was given back");
                }
                state = State.WAITING;
                group.waiting.add(this);
                long deadline = System.nanoTime()
                        + Math.min(TimeUnit.MILLISECONDS.toNanos(timeoutMs), Long.MAX_VALUE / 4);
                try {
                    while (state == State.WAITING
                            && (group.sending >= group.places || group.waiting.first() != this)) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            return false;   // still queued: the caller calls again
                        }
                        TimeUnit.NANOSECONDS.timedWait(LinkTurns.this, left);
                    }
                } catch (InterruptedException e) {
                    leave();
                    throw e;
                }
                if (state != State.WAITING) {
                    throw new IllegalStateException("this turn at the link of group " + group.name
                            + " was given back while it waited");
                }
                group.waiting.remove(this);
                group.sending++;
                state = State.SENDING;
                // The next in line may have a place too (several freed while it was not first).
                LinkTurns.this.notifyAll();
                return true;
            }
        }

        @Override
        public void toSend(long pages) {
            synchronized (LinkTurns.this) {
                boolean queued = group.waiting.remove(this);   // re-sorted: the set's order must not change under it
                pagesToSend = pages;
                if (queued) {
                    group.waiting.add(this);
                    LinkTurns.this.notifyAll();
                }
            }
        }

        @Override
        public void release() {
            synchronized (LinkTurns.this) {
                leave();
            }
        }

        /** Holding the monitor: gives back what this member holds and forgets an empty group. */
        private void leave() {
            if (state == State.GONE) {
                return;
            }
            if (state == State.SENDING) {
                group.sending--;
            }
            group.waiting.remove(this);
            state = State.GONE;
            if (--group.members == 0) {
                groups.remove(group.name, group);
            }
            LinkTurns.this.notifyAll();
        }

        @Override
        public int compareTo(Member o) {
            int c = Long.compare(o.pagesToSend, pagesToSend);
            c = c != 0 ? c : Integer.compare(rank, o.rank);
            return c != 0 ? c : Long.compare(sequence, o.sequence);
        }
    }
}
