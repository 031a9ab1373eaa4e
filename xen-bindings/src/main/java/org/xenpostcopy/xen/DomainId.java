package org.xenpostcopy.xen;

/** A Xen domain id ({@code domid_t}). Ids from {@code DOMID_FIRST_RESERVED} (0x7FF0) up are not domains. */
public record DomainId(int value) implements Comparable<DomainId> {
    public static final DomainId DOM0 = new DomainId(0);
    /** {@code DOMID_FIRST_RESERVED} in xen.h. */
    public static final int FIRST_RESERVED = 0x7FF0;

    public DomainId {
        if (value < 0 || value >= FIRST_RESERVED) {
            throw new IllegalArgumentException("not a domain id: " + value + " (valid: 0.." + (FIRST_RESERVED - 1) + ")");
        }
    }

    public static DomainId of(int value) {
        return new DomainId(value);
    }

    @Override
    public int compareTo(DomainId o) {
        return Integer.compare(value, o.value);
    }

    @Override
    public String toString() {
        return "dom" + value;
    }
}
