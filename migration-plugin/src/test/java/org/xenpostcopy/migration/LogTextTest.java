package org.xenpostcopy.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A peer's text in a log line stays on that line, shows what arrived, and is short. */
class LogTextTest {
    @Test
    void aNewlineCannotStartALogLineOfThePeersOwn() {
        String forged = "s1\nINFO: session s1: complete; verified";
        String shown = LogText.escape(forged);
        assertFalse(shown.contains("\n"), shown);
        assertEquals("s1\\nINFO: session s1: complete; verified", shown);
    }

    @Test
    void controlCharactersAndNonAsciiAreEscapedAsJavaWritesThem() {
        assertEquals("a\\r\\tb\\u001b[31mc\\u00e9\\\\\\'\\\"", LogText.escape("a\r\tb\u001b[31mcé\\'\""));
    }

    @Test
    void plainTextIsLeftAsItIs() {
        assertEquals("2d23be12-76f4-4b6f-bbbe-5cbcd5960a55", LogText.escape("2d23be12-76f4-4b6f-bbbe-5cbcd5960a55"));
    }

    @Test
    void longTextIsCutAndSaysHowMuchWasLeftOff() {
        String shown = LogText.escape("x".repeat(LogText.MAX_CHARS + 1000));
        assertTrue(shown.startsWith("x".repeat(LogText.MAX_CHARS) + "...("), shown);
        assertTrue(shown.endsWith("(1000 more characters)"), shown);
    }

    @Test
    void nullReadsAsSuch() {
        assertEquals("<null>", LogText.escape(null));
    }
}
