package org.xenpostcopy.xen.emulated;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.Gfn;
import org.xenpostcopy.xen.GfnBitmap;
import org.xenpostcopy.xen.P2mType;
import org.xenpostcopy.xen.XenException;

/**
 * The p2m type of every gfn of one domain, with a striped lock per gfn. Whoever reads or changes a gfn's
 * type or bytes holds {@link #lock}{@code (gfn)}: the guest's access, the pager's load, a foreign read.
 *
 * <p>It keeps what follows from the types in step with them, in {@link #set}: which gfns are populated (not
 * {@link #INVALID}) and how many are paged out ({@link #PAGED} or {@link #PAGING_IN}), as Xen's
 * {@code tot_pages} and {@code paged_pages} count them.
 *
 * <p>On a persistent host every type change is also stored, one byte per gfn, in the domain's {@code p2m} file
 * (a shared mapping: it outlives the process), from which {@link #restore} rebuilds the table.
 */
final class P2mTable {
    private static final int STRIPES = 4096;
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    static final byte RAM_RW = 0;
    static final byte PAGING_OUT = 1;
    static final byte PAGED = 2;
    static final byte PAGING_IN = 3;
    static final byte INVALID = 4;

    private final DomainId domain;
    private final byte[] types;
    private final Object[] locks = new Object[STRIPES];
    private final AtomicLong populatedPages;
    /** One bit per populated gfn, changed under the gfn's stripe lock, so the p2m view is a cheap copy. */
    private final long[] populatedWords;
    private final AtomicLong pagedPages;
    /** Set before the domain's memory is freed; every access checks it under its gfn's lock (see {@link #retire}). */
    private volatile boolean freed;
    /** The persistent copy of {@link #types} (null on an ephemeral host). */
    private final ByteBuffer stored;

    P2mTable(DomainId domain, long pages, byte initial) {
        this(domain, pages, initial, null);
    }

    /** A new table, every gfn {@code initial}, stored in {@code stored} (null: nowhere) from now on. */
    P2mTable(DomainId domain, long pages, byte initial, ByteBuffer stored) {
        this(domain, pages, initial, stored, true);
    }

    private P2mTable(DomainId domain, long pages, byte initial, ByteBuffer stored, boolean storeInitial) {
        if (pages > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("emulated guests are limited to " + Integer.MAX_VALUE + " pages");
        }
        this.domain = domain;
        types = new byte[(int) pages];
        if (initial != 0) {
            java.util.Arrays.fill(types, initial);
        }
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new Object();
        }
        populatedPages = new AtomicLong(initial == INVALID ? 0 : pages);
        populatedWords = (initial == INVALID ? new GfnBitmap(pages) : GfnBitmap.full(pages)).toWords();
        pagedPages = new AtomicLong(isPaged(initial) ? pages : 0);
        this.stored = stored;
        if (stored != null && storeInitial) {
            for (int i = 0; i < types.length; i++) {
                stored.put(i, initial);
            }
        }
    }

    /**
     * The table a previous process left in {@code stored}. Transitions that needed that process's pager are settled:
     * a nomination ({@link #PAGING_OUT}) is cancelled, a page-in in flight ({@link #PAGING_IN}) is paged out again —
     * its request died with the ring.
     */
    static P2mTable restore(DomainId domain, long pages, ByteBuffer stored) {
        byte[] saved = new byte[(int) pages];
        stored.get(0, saved);
        // the file is not overwritten first: a process killed while restoring leaves it as it found it
        P2mTable t = new P2mTable(domain, pages, INVALID, stored, false);
        for (int gfn = 0; gfn < saved.length; gfn++) {
            byte type = saved[gfn];
            if (type < RAM_RW || type > INVALID) {
                throw new IllegalStateException(domain + ": p2m file holds type " + type + " at gfn " + gfn);
            }
            t.set(gfn, type == PAGING_OUT ? RAM_RW : type == PAGING_IN ? PAGED : type);
        }
        return t;
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

    /** Changes a gfn's type, and the populated set and paged-out count with it. Call holding its lock. */
    void set(long gfn, byte type) {
        byte old = types[(int) gfn];
        types[(int) gfn] = type;
        if (stored != null) {
            stored.put((int) gfn, type);
        }
        if (isPaged(old) != isPaged(type)) {
            pagedPages.addAndGet(isPaged(type) ? 1 : -1);
        }
        if ((old == INVALID) != (type == INVALID)) {
            if (type == INVALID) {
                WORDS.getAndBitwiseAnd(populatedWords, (int) (gfn >>> 6), ~(1L << gfn));
                populatedPages.decrementAndGet();
            } else {
                WORDS.getAndBitwiseOr(populatedWords, (int) (gfn >>> 6), 1L << gfn);
                populatedPages.incrementAndGet();
            }
        }
    }

    private static boolean isPaged(byte t) {
        return t == PAGED || t == PAGING_IN;
    }

    /** Gfns not {@link #INVALID}. */
    long populatedPages() {
        return populatedPages.get();
    }

    /** Gfns {@link #PAGED} or {@link #PAGING_IN}. */
    long pagedPages() {
        return pagedPages.get();
    }

    /** The populated gfns now: a copy, each word read atomically. */
    GfnBitmap populated() {
        long[] words = new long[populatedWords.length];
        for (int i = 0; i < words.length; i++) {
            words[i] = (long) WORDS.getVolatile(populatedWords, i);
        }
        return GfnBitmap.fromWords(types.length, words);
    }

    /**
     * Whether any gfn in {@code [from, from + count)} is populated now, each word read atomically; {@code from} a
     * multiple of 64. Without a lock: a gfn populated just after is backed by its first touch, as any page is that the
     * backer has not reached.
     */
    boolean anyPopulated(long from, long count) {
        int first = (int) (from >>> 6);
        int end = (int) Math.min(populatedWords.length, (from + count + 63) >>> 6);
        for (int i = first; i < end; i++) {
            if ((long) WORDS.getOpaque(populatedWords, i) != 0) {
                return true;
            }
        }
        return false;
    }

    /** True once {@link #retire} began: the memory behind the gfns is (about to be) freed. Read holding a gfn lock. */
    boolean freed() {
        return freed;
    }

    /** Call holding a gfn lock: refuses to touch memory of a destroyed domain. */
    void checkNotFreed(String call) {
        if (freed) {
            throw new XenException(call, Errno.ESRCH, domain + " was destroyed");
        }
    }

    /**
     * Before the domain's memory is freed: sets the flag, then passes through every gfn lock, so an access that
     * started before has finished and any later one sees the flag.
     */
    void retire() {
        freed = true;
        for (long stripe = 0; stripe < Math.min(types.length, STRIPES); stripe++) {
            synchronized (lock(stripe)) {
                // barrier only
            }
        }
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
