package org.xenpostcopy.migration.prepaging;

/**
 * Chooses the order of the active push. Called by the push thread ({@link #next}) and the page server
 * ({@link #onFault}) concurrently; implementations synchronise themselves.
 */
public interface PrePagingPolicy {
    /**
     * The next gfn to push: one not yet sent, as far as the policy can tell (the caller still claims it, and asks
     * again if a fault claimed it first). {@code -1} when the policy has nothing to push now.
     */
    long next();

    /** The destination faulted on {@code gfn}: a hint of where the guest is working. */
    void onFault(long gfn);

    /** Nanoseconds until {@link #next} may return something again after returning -1 (0 = it is done). */
    default long nanosUntilReady() {
        return 0;
    }
}
