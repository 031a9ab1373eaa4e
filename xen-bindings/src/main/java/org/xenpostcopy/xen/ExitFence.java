package org.xenpostcopy.xen;

/**
 * Holds a domain to this process: should the process die before the fence is {@linkplain #close released}, the
 * domain is paused — by something outside the process, since a process cannot act on its own death. What lets a
 * post-copy destination keep its lease's promise (its copy of the guest stops when it can no longer be told the
 * source took the guest back) even when its daemon is killed.
 */
public interface ExitFence extends AutoCloseable {
    /** The domain no longer needs holding: this process may exit without it being paused. */
    @Override
    void close();

    /** A fence that holds nothing: for a domain whose vCPUs stop with this process anyway. */
    ExitFence NONE = () -> { };
}
