package org.xenpostcopy.migration.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.evacuation.GuestToMove;
import org.xenpostcopy.migration.evacuation.Placement;

/** The live view: plain lines per phase where there is no terminal, in-place redraws where there is, nothing for --json. */
class EvacuationViewTest {
    private static final List<Placement.Assignment> PLAN = List.of(
            new Placement.Assignment(new GuestToMove("big", 2048), "b"),
            new Placement.Assignment(new GuestToMove("small", 1024), "c"));

    private static void run(EvacuationView view) {
        view.update("big", "prepare", 0, 0, 0);
        view.update("big", "post-copy", 10, 100, 0);
        view.update("big", "post-copy", 50, 100, 3);   // same phase: no new plain line
        view.update("small", "prepare", 0, 0, 0);
        view.finished("big", "done", "100 pages in 1.0 s");
        view.finished("small", "failed", "refused");
        view.finish();
    }

    @Test
    void withoutATerminalALinePerPhaseChangeAndPerEnd() {
        StringWriter text = new StringWriter();
        run(new EvacuationView(new PrintWriter(text), PLAN, false, true));
        List<String> lines = text.toString().lines().toList();
        assertEquals(5, lines.size(), text.toString());
        assertTrue(lines.get(0).matches("big\\s+-> b\\s+prepare\\s*"), lines.get(0));
        assertTrue(lines.get(1).matches("big\\s+-> b\\s+post-copy\\s+10/100 pages \\( 10%\\)\\s+\\d+ MB/s  faults 0"), lines.get(1));
        assertTrue(lines.get(3).endsWith("done       100 pages in 1.0 s"), lines.get(3));
        assertTrue(lines.get(4).startsWith("small -> c") && lines.get(4).endsWith("refused"), lines.get(4));
        assertTrue(!text.toString().contains("\033"), "no escape codes in a log");
    }

    @Test
    void onATerminalEveryGuestHasOneLineRedrawnInPlace() {
        StringWriter text = new StringWriter();
        run(new EvacuationView(new PrintWriter(text), PLAN, true, true));
        String s = text.toString();
        assertTrue(s.contains("\033[2A"), "each redraw after the first goes back up over both lines");
        String last = s.substring(s.lastIndexOf("\033[2A"));
        assertTrue(last.contains("big") && last.contains("done") && last.contains("small") && last.contains("failed"), last);
    }

    @Test
    void jsonGetsNothing() {
        StringWriter text = new StringWriter();
        run(new EvacuationView(new PrintWriter(text), PLAN, true, false));
        assertEquals("", text.toString());
    }
}
