package org.xenpostcopy.fuzz;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What each fuzzed connection sends, from the run's seed and the connection's index alone — so the frames do not
 * depend on which thread sends them or in what order, and one connection can be replayed by itself.
 */
final class FuzzPlan {
    /** One frame: the call it was built from, how it was broken, and the bytes. */
    record Frame(String call, Mutation mutation, byte[] bytes) {
        @Override
        public String toString() {
            return call + " " + mutation + " (" + bytes.length + " bytes)";
        }
    }

    /** One connection's frames, sent back to back, and which daemon they go to. */
    record Connection(int index, boolean toSource, List<Frame> frames) {
    }

    /** The most frames one connection sends, bar a repeated one. */
    static final int MAX_FRAMES_PER_CONNECTION = 8;
    /** How often one valid call is sent this many times on one connection. */
    static final int REPEAT_ODDS = 25;
    static final int REPEATS = 50;

    private final long seed;
    private final ValidCalls calls;

    FuzzPlan(long seed, ValidCalls calls) {
        this.seed = seed;
        this.calls = calls;
    }

    Connection connection(int index) {
        Random r = new Random(seed ^ (0x9E3779B97F4A7C15L * (index + 1)));
        List<String> names = calls.names();
        boolean toSource = r.nextBoolean();
        List<Frame> frames = new ArrayList<>();
        if (r.nextInt(REPEAT_ODDS) == 0) {
            String name = names.get(r.nextInt(names.size()));
            byte[] same = calls.call(name, r).bytes();
            for (int i = 0; i < REPEATS; i++) {
                frames.add(new Frame(name, Mutation.NONE, same));
            }
            return new Connection(index, toSource, frames);
        }
        for (int i = 1 + r.nextInt(MAX_FRAMES_PER_CONNECTION); i > 0; i--) {
            String name = names.get(r.nextInt(names.size()));
            MarkedFrame valid = calls.call(name, r);
            Mutation m = Mutation.draw(r);
            frames.add(new Frame(name, m, m.apply(valid, r, names)));
        }
        return new Connection(index, toSource, frames);
    }
}
