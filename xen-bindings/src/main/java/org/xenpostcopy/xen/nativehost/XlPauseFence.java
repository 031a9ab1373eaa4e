package org.xenpostcopy.xen.nativehost;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.Errno;
import org.xenpostcopy.xen.ExitFence;
import org.xenpostcopy.xen.XenException;

/**
 * An {@link ExitFence} as a small shell process: it reads one line from a pipe whose other end only this process
 * holds, and unless that line says the domain is released it runs {@code xl pause} — which is what happens when
 * this process dies, however it dies: the kernel closes the pipe and the read ends. It ignores the signals a
 * service manager sends to a stopping service's processes (HUP, INT, TERM), so it outlives the daemon it
 * watches; only SIGKILL of the fence itself defeats it (a service manager's final kill after its stop timeout).
 */
final class XlPauseFence implements ExitFence {
    /** $1 is xl, $2 the domain id. */
    private static final String SCRIPT = "trap '' HUP INT TERM PIPE; "
            + "if read -r word && [ \"$word\" = released ]; then exit 0; fi; exec \"$1\" pause \"$2\"";
    private static final long RELEASE_WAIT_S = 10;

    private final Process fence;
    private final DomainId domain;
    private boolean closed;

    private XlPauseFence(Process fence, DomainId domain) {
        this.fence = fence;
        this.domain = domain;
    }

    static XlPauseFence start(String xl, DomainId domain) {
        try {
            Process p = new ProcessBuilder("/bin/sh", "-c", SCRIPT, "xlpc-fence", xl, Integer.toString(domain.value()))
                    .redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD).start();
            return new XlPauseFence(p, domain);
        } catch (IOException e) {
            throw new XenException("xl pause", Errno.EIO, "cannot start the process that pauses " + domain
                    + " should this one die: " + e.getMessage());
        }
    }

    /** Whether the fence still watches (false once released, or if someone killed it). */
    boolean watching() {
        return fence.isAlive() && !closed;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (OutputStream pipe = fence.getOutputStream()) {
            pipe.write("released\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException alreadyGone) {
            // the fence died first (killed from outside): there is nothing left to release
        }
        try {
            if (!fence.waitFor(RELEASE_WAIT_S, TimeUnit.SECONDS)) {
                fence.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fence.destroyForcibly();
        }
    }

    @Override
    public String toString() {
        return "the fence pausing " + domain + " (pid " + fence.pid() + ")";
    }

    /** For tests: what a death of this process does to the pipe, without the release. */
    void closePipeUnreleased() throws IOException {
        closed = true;
        fence.getOutputStream().close();
    }

    /** For tests: waits for the fence to finish; its exit status. */
    int awaitExit(long seconds) throws InterruptedException {
        if (!fence.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new IllegalStateException(this + " still runs after " + seconds + " s");
        }
        return fence.exitValue();
    }
}
