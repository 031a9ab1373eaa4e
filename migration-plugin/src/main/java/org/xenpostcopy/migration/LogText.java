package org.xenpostcopy.migration;

/**
 * Text a peer sent, made safe to put in a log line: control characters (a newline would let a peer write a log
 * line of its own), backslashes, quotes and everything outside printable ASCII are escaped as Java would write
 * them, and anything beyond {@link #MAX_CHARS} is cut with a note of how much was left off. A log reader sees
 * exactly what arrived, one line per event, however hostile the peer.
 */
public final class LogText {
    /** The most of a peer's text one log line carries (escaped characters count once each). */
    public static final int MAX_CHARS = 200;

    private LogText() {
    }

    /** {@code text} escaped and cut to {@link #MAX_CHARS}; {@code null} reads as {@code <null>}. */
    public static String escape(String text) {
        if (text == null) {
            return "<null>";
        }
        StringBuilder b = new StringBuilder(Math.min(text.length(), MAX_CHARS) + 16);
        int n = Math.min(text.length(), MAX_CHARS);
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '\'' -> b.append("\\'");
                default -> {
                    if (c >= 0x20 && c < 0x7f) {
                        b.append(c);
                    } else {
                        b.append(String.format("\\u%04x", (int) c));
                    }
                }
            }
        }
        if (text.length() > MAX_CHARS) {
            b.append("...(").append(text.length() - MAX_CHARS).append(" more characters)");
        }
        return b.toString();
    }
}
