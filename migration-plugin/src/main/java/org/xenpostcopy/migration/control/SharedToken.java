package org.xenpostcopy.migration.control;

import org.xenpostcopy.migration.RemoteError;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The secret a daemon's remote control clients must present ({@code token=} in the config, {@code XLPC_TOKEN}).
 *
 * <p>The check is made where remote calls enter (the Thrift handler), not inside {@link DaemonControl}: only a
 * remote caller has a token to present, while in-process callers ({@code xlpc lab}, the benchmark, tests) hold the
 * service itself and are trusted already. Keeping the rule here, apart from the handler, keeps the handler to
 * "convert and delegate" and the comparison in one place.
 */
public final class SharedToken {
    private static final SharedToken NONE = new SharedToken("");

    private final byte[] secret;

    /** @param secret the token; empty = no check (loopback-only setups) */
    public SharedToken(String secret) {
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
    }

    /** No token configured: every caller is let in. */
    public static SharedToken none() {
        return NONE;
    }

    /**
     * Lets the caller in if it presented the token.
     *
     * @throws ControlException {@link RemoteError#UNAUTHORIZED} otherwise
     */
    public void check(String presented) {
        if (secret.length == 0) {
            return;
        }
        byte[] p = presented == null ? new byte[0] : presented.getBytes(StandardCharsets.UTF_8);
        // Constant time: how long a refusal takes must not tell an attacker how many leading bytes were right.
        if (!MessageDigest.isEqual(secret, p)) {
            throw new ControlException(RemoteError.UNAUTHORIZED,
                    "wrong or missing token for this daemon (set token= in the config or XLPC_TOKEN)");
        }
    }
}
