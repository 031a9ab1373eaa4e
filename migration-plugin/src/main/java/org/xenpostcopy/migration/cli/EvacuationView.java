package org.xenpostcopy.migration.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xenpostcopy.migration.evacuation.Placement;

/**
 * The live view of an evacuation: one line per guest (destination, phase, pages, rate, network faults). On a
 * terminal every line is redrawn in place, ten times a second at most; elsewhere (a log, a pipe) a guest gets a
 * plain line when its phase changes, so the output stays as long as the evacuation has events, not as long as it
 * lasts. Migrations report from their own threads, so every method is synchronized.
 */
final class EvacuationView {
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final long RATE_WINDOW_NANOS = 1_000_000_000L;

    private final PrintWriter out;
    private final boolean terminal;
    private final boolean enabled;
    private final Map<String, GuestLine> lines = new LinkedHashMap<>();
    private long lastDrawn;
    private boolean drawn;

    /** One guest's line: the last status and what its rate is measured from. */
    private static final class GuestLine {
        final String guest;
        final String host;
        String phase = "queued";
        long done;
        long total;
        long faults;
        double mbPerS;
        long phaseNanos = System.nanoTime();
        long phasePages;
        long sampleNanos;
        long samplePages;
        String note = "";

        GuestLine(String guest, String host) {
            this.guest = guest;
            this.host = host;
        }

        String text(int nameWidth) {
            StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%-" + nameWidth + "s -> %-10s %-9s", guest,
                    host, phase));
            if (total > 0) {
                s.append(String.format(Locale.ROOT, " %8d/%d pages (%3.0f%%) %5.0f MB/s  faults %d", done, total,
                        100.0 * done / total, mbPerS, faults));
            }
            if (!note.isEmpty()) {
                s.append("  ").append(note);
            }
            return s.toString();
        }
    }

    /**
     * @param terminal redraw in place (the output is a terminal) rather than print a line per phase
     * @param enabled  false: print nothing (--json)
     */
    EvacuationView(PrintWriter out, List<Placement.Assignment> assignments, boolean terminal, boolean enabled) {
        this.out = out;
        this.terminal = terminal;
        this.enabled = enabled;
        for (Placement.Assignment a : assignments) {
            lines.put(a.guest().name(), new GuestLine(a.guest().name(), a.host()));
        }
    }

    /** A status of the guest's migration, as the source daemon reported it, while it runs. */
    synchronized void update(String guest, String phase, long done, long total, long faults) {
        GuestLine l = lines.get(guest);
        long now = System.nanoTime();
        boolean newPhase = !phase.equals(l.phase);
        if (newPhase) {
            // The line printed for a phase change shows the rate of the phase that just ended: its pages over its time.
            l.mbPerS = rate(done - l.phasePages, now - l.phaseNanos);
            l.phaseNanos = now;
            l.phasePages = done;
            l.sampleNanos = now;
            l.samplePages = done;
        } else if (now - l.sampleNanos >= RATE_WINDOW_NANOS) {
            // While a phase runs, the rate over the last second or so, not since its start: a push runs at the
            // link's pace, and what a user wants to see is whether it still does.
            l.mbPerS = rate(done - l.samplePages, now - l.sampleNanos);
            l.sampleNanos = now;
            l.samplePages = done;
        }
        l.phase = phase;
        l.done = done;
        l.total = total;
        l.faults = faults;
        if (!enabled) {
            return;
        }
        if (!terminal) {
            if (newPhase) {
                out.println(l.text(width()));
                out.flush();
            }
        } else if (newPhase || now - lastDrawn >= REDRAW_NANOS) {
            redraw(now);
        }
    }

    private static double rate(long pages, long nanos) {
        return pages <= 0 || nanos <= 0 ? 0 : pages * 4096.0 / (nanos / 1e9) / 1e6;
    }

    /** The guest's migration ended: {@code phase} is "done" or "failed", {@code note} says how. */
    synchronized void finished(String guest, String phase, String note) {
        GuestLine l = lines.get(guest);
        l.phase = phase;
        l.note = note;
        l.mbPerS = 0;
        l.total = 0;   // the note says it all
        if (!enabled) {
            return;
        }
        if (terminal) {
            redraw(System.nanoTime());
        } else {
            out.println(l.text(width()));
            out.flush();
        }
    }

    /** Leaves the lines as they last were (a terminal's last redraw stays on screen). */
    synchronized void finish() {
        if (enabled && terminal) {
            redraw(System.nanoTime());
        }
    }

    private void redraw(long now) {
        if (drawn) {
            out.print("\033[" + lines.size() + "A");   // back to the first guest's line
        }
        int width = width();
        for (GuestLine l : lines.values()) {
            out.print("\r\033[2K" + l.text(width) + "\n");
        }
        out.flush();
        drawn = true;
        lastDrawn = now;
    }

    private int width() {
        return lines.keySet().stream().mapToInt(String::length).max().orElse(0);
    }
}
