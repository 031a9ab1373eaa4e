package org.xenpostcopy.xen;

/**
 * A guest frame number: the index of a 4 KiB page in a domain's guest-physical address space.
 * Range checks against a particular domain happen where the domain is known.
 */
public record Gfn(long value) implements Comparable<Gfn> {
    public static final int PAGE_SHIFT = 12;
    public static final int PAGE_SIZE = 1 << PAGE_SHIFT;

    public Gfn {
        if (value < 0) {
            throw new IllegalArgumentException("negative gfn: " + value);
        }
    }

    public static Gfn of(long value) {
        return new Gfn(value);
    }

    @Override
    public int compareTo(Gfn o) {
        return Long.compare(value, o.value);
    }

    @Override
    public String toString() {
        return "gfn 0x" + Long.toHexString(value);
    }
}
