package org.xenpostcopy.migration;

import java.util.Locale;

/**
 * The pre-paging policy of a post-copy migration (the paper's section 3.2), by the name {@code --prepaging} takes
 * and the report shows. {@code none}, the name of demand paging before the paper's policies were named, is still
 * accepted.
 */
public enum PrePaging {
    /** Demand paging only, for a demand-only window; then the rest is flushed linearly so the migration ends. */
    DEMAND("demand", "demand paging only, then a linear flush"),
    /** Active push in gfn order; faults do not move it. */
    PUSH("push", "linear push"),
    /** Our first bubble: each edge stops at the first sent page, then the push goes forward from the pivot. */
    BUBBLE_FORWARD("bubble-forward", "forward-only bubble (edges stop at sent pages)"),
    /** The paper's bubble: from the latest network fault, widening both ways, skipping sent pages. */
    BUBBLE("bubble", "the paper's dual-direction bubble"),
    /** The paper's multi-pivot bubble: the last k network faults, edges stopping where bubbles meet. */
    MULTIBUBBLE("multibubble", "the paper's multi-pivot bubble");

    private final String wireName;
    private final String description;

    PrePaging(String wireName, String description) {
        this.wireName = wireName;
        this.description = description;
    }

    /** The name on the command line, on the wire and in the report. */
    public String wireName() {
        return wireName;
    }

    /** What the policy is, in a few words, for people. */
    public String description() {
        return description;
    }

    public static PrePaging parse(String s) {
        String name = s.trim().toLowerCase(Locale.ROOT);
        if (name.equals("none")) {
            return DEMAND;
        }
        for (PrePaging p : values()) {
            if (p.wireName.equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown pre-paging policy '" + s + "'; expected " + names()
                + " (none = demand)");
    }

    /** Every policy's name, for help texts. */
    public static String names() {
        StringBuilder sb = new StringBuilder();
        for (PrePaging p : values()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(p.wireName);
        }
        return sb.toString();
    }

    /** The policy a report names, or null if the name is not one (a pre-copy report says "none"). */
    public static PrePaging fromReport(String name) {
        for (PrePaging p : values()) {
            if (p.wireName.equals(name)) {
                return p;
            }
        }
        return null;
    }
}
