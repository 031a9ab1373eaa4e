package org.xenpostcopy.xen;

import java.util.List;
import java.util.Optional;

/**
 * xenstore, after libxenstore's {@code xs_*} calls. Paths are absolute ({@code /local/domain/7/memory/target}).
 * Failures carry xenstored's errno ({@code ENOENT}, {@code EINVAL}, {@code EACCES}, ...).
 */
public interface XenStore extends XenStoreOps {
    /** Starts a transaction ({@code xs_transaction_start}). */
    XenStoreTransaction begin();

    /**
     * Registers a watch on {@code path} and everything below it ({@code xs_watch}). As xenstored does, one event
     * fires at once on registration. Events are delivered on the store's own thread, in order.
     */
    XenStoreWatch watch(String path, String token, WatchListener listener);

    /** A watch event: the path that changed and the token given to {@link #watch}. */
    @FunctionalInterface
    interface WatchListener {
        void onEvent(String path, String token);
    }

    /** Runs {@code body} in transactions until one commits (retrying on {@code EAGAIN}), as {@code xl} does. */
    default <T> T inTransaction(java.util.function.Function<XenStoreOps, T> body) {
        for (int attempt = 1; ; attempt++) {
            XenStoreTransaction tx = begin();
            T result;
            try {
                result = body.apply(tx);
            } catch (RuntimeException e) {
                tx.abort();
                throw e;
            }
            if (tx.commit()) {
                return result;
            }
            if (attempt == 100) {
                throw new XenException("xs_transaction_end", Errno.EAGAIN, "gave up after 100 conflicting attempts");
            }
        }
    }

    /** The xenstore home of a domain: {@code /local/domain/<id>}. */
    static String domainPath(DomainId domain) {
        return "/local/domain/" + domain.value();
    }

    /** Convenience: every child name of {@code path}, or an empty list if it does not exist. */
    default List<String> directoryOrEmpty(String path) {
        try {
            return directory(path);
        } catch (XenException e) {
            if (e.is(Errno.ENOENT)) {
                return List.of();
            }
            throw e;
        }
    }

    default Optional<String> readOptional(String path) {
        return read(path);
    }
}
