package org.xenpostcopy.xen.emulated;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.XenException;
import org.xenpostcopy.xen.XenStore.WatchListener;
import org.xenpostcopy.xen.XenStoreWatch;

/**
 * The emulated xenstored's watches: each fires once at once on registration and then for every change at, above
 * or below its path, on the store's own thread, in order. A watch closed before its event runs gets no event.
 */
final class XenStoreWatches {
    private final List<Watch> watches = new ArrayList<>();   // guarded by this
    private final ExecutorService events;

    XenStoreWatches(String storeName) {
        events = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "xenstored-" + storeName);
            t.setDaemon(true);
            return t;
        });
    }

    private final class Watch implements XenStoreWatch {
        final String path;
        final String token;
        final WatchListener listener;

        Watch(String path, String token, WatchListener listener) {
            this.path = path;
            this.token = token;
            this.listener = listener;
        }

        @Override
        public String path() {
            return path;
        }

        @Override
        public String token() {
            return token;
        }

        @Override
        public void close() {
            synchronized (XenStoreWatches.this) {
                watches.remove(this);
            }
        }

        boolean covers(String changed) {
            return changed.equals(path) || changed.startsWith(path + "/") || path.startsWith(changed + "/");
        }
    }

    /** Registers a watch ({@code path} already checked) and queues its registration event. */
    XenStoreWatch add(String path, String token, WatchListener listener) {
        Watch w = new Watch(path, token, listener);
        synchronized (this) {
            for (Watch other : watches) {
                if (other.path.equals(path) && other.token.equals(token)) {
                    throw new XenException("xs_watch", Errno.EEXIST, path + " with token " + token);
                }
            }
            watches.add(w);
        }
        submit(w, path);
        return w;
    }

    /** Fires every watch on {@code path}, its ancestors' watchers and, for a removed subtree, watches below it. */
    void fire(String path) {
        List<Watch> hit = new ArrayList<>();
        synchronized (this) {
            for (Watch w : watches) {
                if (w.covers(path)) {
                    hit.add(w);
                }
            }
        }
        for (Watch w : hit) {
            submit(w, path);
        }
    }

    private void submit(Watch w, String path) {
        try {
            events.execute(() -> {
                boolean live;
                synchronized (this) {
                    live = watches.contains(w);
                }
                if (live) {
                    try {
                        w.listener.onEvent(path, w.token);
                    } catch (RuntimeException e) {
                        System.getLogger(EmulatedXenStore.class.getName()).log(System.Logger.Level.WARNING,
                                "watch " + w.path + " (" + w.token + ") listener failed", e);
                    }
                }
            });
        } catch (RejectedExecutionException closed) {
            // store shut down: no more events
        }
    }

    /** Stops the event thread, letting queued events run for up to 5 s. */
    void close() {
        events.shutdown();
        try {
            events.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
