package org.xenpostcopy.xen;

/** Shadow log-dirty mode ({@code XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY}, {@code _CLEAN}, {@code _OFF}). */
public interface DirtyLog {
    /** Starts recording guest writes; the bitmap starts empty. */
    void enable(DomainId domain);

    /** Returns the gfns written since enable or the last call, and clears the record ({@code SHADOW_OP_CLEAN}). */
    GfnBitmap readAndClear(DomainId domain);

    /** Returns the gfns written so far without clearing ({@code SHADOW_OP_PEEK}). */
    GfnBitmap peek(DomainId domain);

    void disable(DomainId domain);
}
