package org.xenpostcopy.xen;

/**
 * The p2m type of a gfn, as far as paging and ballooning are concerned. Codes are Xen's {@code p2m_type_t}
 * values that travel in {@code vm_event_paging.p2mt}.
 */
public enum P2mType {
    RAM_RW(0),
    PAGING_OUT(9),
    PAGED(10),
    PAGING_IN(11),
    /** Not populated (ballooned out, or never populated): there is no page to send. */
    INVALID(-1);

    private final int code;

    P2mType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static P2mType fromCode(int code) {
        for (P2mType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown p2m type code " + code);
    }
}
