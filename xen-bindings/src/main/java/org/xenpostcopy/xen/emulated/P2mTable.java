package org.xenpostcopy.xen.emulated;

import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.P2mType;
import org.xenpostcopy.xen.XenException;

/**
 * The p2m type of every gfn of one domain, with a striped lock per gfn. Whoever reads or changes a gfn's
 * type or bytes holds {@link #lock}{@code (gfn)}: the guest's access, the pager's load, a foreign read.
 */
final class P2mTable {
    private static final int STRIPES = 4096;

    static final byte RAM_RW = 0;
    static final byte PAGING_OUT = 1;
    static final byte PAGED = 2;
    static final byte PAGING_IN = 3;
    static final byte INVALID = 4;

    private final byte[] types;
    private final Object[] locks = new Object[STRIPES];

    P2mTable(long pages, byte initial) {
        if (pages > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("emulated guests are limited to " + Integer.MAX_VALUE + " pages");
        }
        types = new byte[(int) pages];
        if (initial != 0) {
            java.util.Arrays.fill(types, initial);
        }
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new Object();
        }
    }

    long size() {
        return types.length;
    }

    Object lock(long gfn) {
        return locks[(int) (gfn & (STRIPES - 1))];
    }

    /** Checks {@code gfn} is inside the physmap; the message names the call and the domain's range. */
    void checkRange(String call, long gfn) {
        if (gfn < 0 || gfn >= types.length) {
            throw new XenException(call, Errno.EINVAL,
                    "gfn " + gfn + " outside the physmap 0.." + (types.length - 1));
        }
    }

    byte get(long gfn) {
        return types[(int) gfn];
    }

    void set(long gfn, byte type) {
        types[(int) gfn] = type;
    }

    static P2mType toPublic(byte t) {
        return switch (t) {
            case RAM_RW -> P2mType.RAM_RW;
            case PAGING_OUT -> P2mType.PAGING_OUT;
            case PAGED -> P2mType.PAGED;
            case PAGING_IN -> P2mType.PAGING_IN;
            default -> P2mType.INVALID;
        };
    }

    static String describe(long gfn) {
        return new Gfn(gfn).toString();
    }
}
