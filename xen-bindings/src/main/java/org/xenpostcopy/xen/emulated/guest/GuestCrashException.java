package org.xenpostcopy.xen.emulated.guest;

/** The guest did something a real guest would crash on (touched a page it had ballooned out, for one). */
public class GuestCrashException extends RuntimeException {
    public GuestCrashException(String message) {
        super(message);
    }
}
