package org.xenpostcopy.xen;

import java.util.Optional;

/**
 * A host call failed. Names the call (C function or xenstore operation), the errno, and what it acted on,
 * so one line tells an administrator what went wrong.
 */
public class XenException extends RuntimeException {
    private final String call;
    private final Errno errno;

    public XenException(String call, Errno errno, String detail) {
        super(call + ": " + (errno == null ? "failed" : errno.name()) + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")"));
        this.call = call;
        this.errno = errno;
    }

    public String call() {
        return call;
    }

    public Optional<Errno> errno() {
        return Optional.ofNullable(errno);
    }

    public boolean is(Errno e) {
        return errno == e;
    }
}
