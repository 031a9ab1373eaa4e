package org.xenpostcopy.migration.bench.paper;

import java.io.PrintStream;

/** One line per run on stderr: which experiment, run i of n, what it is, how long the whole bench has taken. */
final class Progress {
    private final PrintStream err;
    private final long start = System.nanoTime();

    Progress(PrintStream err) {
        this.err = err;
    }

    void run(String experiment, int i, int n, String what) {
        err.printf("paper: %-10s run %d/%d  %s  (%s elapsed)%n", experiment, i, n, what, elapsed());
        err.flush();
    }

    void note(String line) {
        err.printf("paper: %s  (%s elapsed)%n", line, elapsed());
        err.flush();
    }

    String elapsed() {
        long s = (System.nanoTime() - start) / 1_000_000_000L;
        return String.format("%d:%02d", s / 60, s % 60);
    }

    double elapsedSeconds() {
        return (System.nanoTime() - start) / 1e9;
    }
}
