package org.xenpostcopy.xen;

/** The errno values Xen's libraries and xenstored report that callers react to differently. */
public enum Errno {
    EPERM(1), ENOENT(2), ESRCH(3), EINTR(4), EIO(5), E2BIG(7), EAGAIN(11), ENOMEM(12), EACCES(13), EFAULT(14),
    EBUSY(16), EEXIST(17), EXDEV(18), ENODEV(19), EINVAL(22), ENOSPC(28), EROFS(30), EMLINK(31), ERANGE(34),
    ENOSYS(38), ENOTEMPTY(39), EQUOTA(122), EISCONN(106), ENOTCONN(107), ETIMEDOUT(110);

    private final int code;

    Errno(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The enum for a Linux errno number, or {@code null} if it is not one of these. */
    public static Errno fromCode(int code) {
        for (Errno e : values()) {
            if (e.code == code) {
                return e;
            }
        }
        return null;
    }

    /** The enum for an errno name as xenstored sends it ({@code "ENOENT"}), or {@code null}. */
    public static Errno fromName(String name) {
        try {
            return valueOf(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
