package org.xenpostcopy.migration.protocol;

import java.util.regex.Pattern;
import org.xenpostcopy.migration.LogText;
import org.xenpostcopy.migration.protocol.thrift.TMigrationError;

/**
 * The shapes a peer's names must have before anything keeps, logs or acts on them. Both are short and of a small
 * alphabet, so a session id or a domain name in a log line or a xenstore path can neither forge a line nor grow
 * without bound: a source's session ids are UUIDs (36 characters), and Xen's own tools keep domain names short.
 */
public final class RequestBounds {
    /** The longest session id accepted. */
    public static final int MAX_SESSION_ID = 64;
    /** The longest domain name accepted. */
    public static final int MAX_DOMAIN_NAME = 64;
    private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_SESSION_ID + "}");
    private static final Pattern DOMAIN_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:+-]{0,"
            + (MAX_DOMAIN_NAME - 1) + "}");

    /** The longest host name or address accepted (DNS's own limit). */
    public static final int MAX_HOST = 253;
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:%_-]{1," + MAX_HOST + "}");

    private RequestBounds() {
    }

    /** Whether {@code id} is a session id this daemon accepts. */
    public static boolean isSessionId(String id) {
        return id != null && SESSION_ID.matcher(id).matches();
    }

    /** Whether {@code name} is a domain name this daemon accepts. */
    public static boolean isDomainName(String name) {
        return name != null && DOMAIN_NAME.matcher(name).matches();
    }

    /** @throws TMigrationError BAD_REQUEST naming the rule, if {@code id} breaks it */
    static String sessionId(String id) throws TMigrationError {
        if (!isSessionId(id)) {
            throw Wire.badRequest("a session id is 1.." + MAX_SESSION_ID + " characters of A-Z a-z 0-9 . _ -, not '"
                    + LogText.escape(id) + "'");
        }
        return id;
    }

    /** @throws TMigrationError BAD_REQUEST naming the rule, if {@code host} is no host name or address */
    static String host(String host) throws TMigrationError {
        if (host == null || !HOST.matcher(host).matches()) {
            throw Wire.badRequest("a host is a name or address of 1.." + MAX_HOST + " characters, not '"
                    + LogText.escape(host) + "'");
        }
        return host;
    }

    /** @throws TMigrationError BAD_REQUEST naming the rule, if {@code name} breaks it */
    static String domainName(String name) throws TMigrationError {
        if (!isDomainName(name)) {
            throw Wire.badRequest("a domain name is 1.." + MAX_DOMAIN_NAME
                    + " characters of A-Z a-z 0-9 . _ : + - (a letter or digit first), not '" + LogText.escape(name)
                    + "'");
        }
        return name;
    }
}
