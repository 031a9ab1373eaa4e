package org.xenpostcopy.migration.tls;

import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLEngine;

/**
 * One connection's TLS engine, with what its provider needs of the code that drives it: the buffers it reads
 * records from and writes them to (a native engine copies heap buffers into direct ones, and the JDK's AES-GCM runs
 * faster on arrays), and a release of its native state when the connection closes.
 */
public final class TlsEngine implements AutoCloseable {
    private final SSLEngine engine;
    private final boolean directBuffers;
    private final Runnable release;
    private final AtomicBoolean released = new AtomicBoolean();

    TlsEngine(SSLEngine engine, boolean directBuffers, Runnable release) {
        this.engine = engine;
        this.directBuffers = directBuffers;
        this.release = release;
    }

    public SSLEngine sslEngine() {
        return engine;
    }

    /** Whether record buffers should be direct (native engines) or on the heap (the JDK's). */
    public boolean wantsDirectBuffers() {
        return directBuffers;
    }

    /** Frees the engine's native state now rather than when the collector finds it; later calls do nothing. */
    @Override
    public void close() {
        if (released.compareAndSet(false, true)) {
            release.run();
        }
    }
}
