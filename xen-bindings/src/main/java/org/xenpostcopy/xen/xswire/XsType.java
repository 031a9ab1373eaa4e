package org.xenpostcopy.xen.xswire;

/** {@code enum xsd_sockmsg_type} of Xen 4.17. */
public enum XsType {
    CONTROL(0), DIRECTORY(1), READ(2), GET_PERMS(3), WATCH(4), UNWATCH(5), TRANSACTION_START(6), TRANSACTION_END(7),
    INTRODUCE(8), RELEASE(9), GET_DOMAIN_PATH(10), WRITE(11), MKDIR(12), RM(13), SET_PERMS(14), WATCH_EVENT(15),
    ERROR(16), IS_DOMAIN_INTRODUCED(17), RESUME(18), SET_TARGET(19), RESET_WATCHES(21), DIRECTORY_PART(22);

    private final int code;

    XsType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The type for a wire code, or null if unknown. */
    public static XsType of(int code) {
        for (XsType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
