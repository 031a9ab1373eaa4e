package org.xenpostcopy.migration;

import java.util.Locale;

/** The pre-paging policy of a post-copy migration (the paper's section 3). */
public enum PrePaging {
    /** Demand paging only, for a demand-only window; then the rest is flushed linearly so the migration ends. */
    NONE,
    /** Active push in gfn order; faults do not move it. */
    PUSH,
    /** Bubbling: push outward in both directions from the latest fault. */
    BUBBLE,
    /** Bubbling around several pivots at once (the last k faults). */
    MULTIBUBBLE;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static PrePaging parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown pre-paging policy '" + s + "'; expected none, push, bubble or multibubble");
        }
    }
}
