package org.xenpostcopy.migration.cli;

import java.io.PrintStream;

/**
 * A live progress line (pages done/total, MB/s, network faults, ETA) redrawn in place on a terminal; silent when
 * the output is not a terminal, so scripts and --json get clean output.
 */
final class ProgressLine {
    private final PrintStream out;
    private final boolean enabled;
    private final long start = System.nanoTime();
    private long lastDrawn;
    private int lastWidth;
    private String lastPhase = "";
    private long phaseStart = start;
    private long phaseStartPages;

    ProgressLine(PrintStream out, boolean enabled) {
        this.out = out;
        this.enabled = enabled;
    }

    static boolean terminal() {
        return System.console() != null;
    }

    void update(String phase, long done, long total, long faults) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (!phase.equals(lastPhase)) {
            lastPhase = phase;
            phaseStart = now;
            phaseStartPages = done;
        } else if (now - lastDrawn < 100_000_000L) {
            return;
        }
        lastDrawn = now;
        double secs = Math.max(1e-3, (now - phaseStart) / 1e9);
        double mbps = (done - phaseStartPages) * 4096.0 / secs / 1e6;
        StringBuilder line = new StringBuilder(String.format("[%s] ", phase));
        if (total > 0) {
            line.append(String.format("%d/%d pages (%.0f%%)  %.0f MB/s  faults %d", done, total, 100.0 * done / total,
                    mbps, faults));
            if (mbps > 0 && done < total) {
                line.append(String.format("  ETA %.1f s", (total - done) * 4096.0 / (mbps * 1e6)));
            }
        }
        String text = line.toString();
        out.print("\r" + text + " ".repeat(Math.max(0, lastWidth - text.length())));
        out.flush();
        lastWidth = text.length();
    }

    /** Clears the line so the next output starts clean. */
    void finish() {
        if (enabled && lastWidth > 0) {
            out.print("\r" + " ".repeat(lastWidth) + "\r");
            out.flush();
            lastWidth = 0;
        }
    }
}
