package org.xenpostcopy.xen;

/**
 * A xenstore transaction: reads see a consistent snapshot, writes apply atomically at commit.
 * {@link #commit} returns false when another writer touched what this transaction read or wrote
 * ({@code EAGAIN}): nothing was applied and the caller retries.
 */
public interface XenStoreTransaction extends XenStoreOps {
    boolean commit();

    void abort();
}
