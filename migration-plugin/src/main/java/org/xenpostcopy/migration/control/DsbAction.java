package org.xenpostcopy.migration.control;

import org.xenpostcopy.migration.RemoteError;
import java.util.Locale;

/** What {@code xlpc dsb} asks of the daemon's self-ballooning controller. */
public enum DsbAction {
    START, STOP, STATUS;

    /** The word on the command line and on the wire. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @throws ControlException {@link RemoteError#BAD_REQUEST} for anything but start, stop or status
     */
    public static DsbAction parse(String action) {
        for (DsbAction a : values()) {
            if (a.wireName().equals(action)) {
                return a;
            }
        }
        throw ControlException.badRequest("dsb action must be start, stop or status, not '" + action + "'");
    }
}
