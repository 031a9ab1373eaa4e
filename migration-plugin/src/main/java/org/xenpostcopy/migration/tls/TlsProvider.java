package org.xenpostcopy.migration.tls;

import io.netty.handler.ssl.OpenSsl;
import java.util.Locale;

/**
 * Which library runs a host's TLS records. Both speak the same TLS 1.3 with the same credentials and allow-list,
 * so hosts using different providers talk to each other; only the speed differs. BoringSSL (netty-tcnative, a
 * native library inside the jar) encrypts AES-GCM about twice as fast as JDK 17 on the test machine (4.8 against
 * 2.3 GB/s for a record's wrap and unwrap; docs/RESULTS.md), which is most of what TLS costs a page push. The
 * JDK's engine is the fallback where the native library cannot load (another architecture, a {@code noexec}
 * temporary directory) and a choice for sites that must use the JDK's own cryptography.
 */
public enum TlsProvider {
    JDK("the JDK's TLS"),
    BORINGSSL("BoringSSL");

    private final String label;

    TlsProvider(String label) {
        this.label = label;
    }

    /** BoringSSL where it loads, else the JDK. */
    public static TlsProvider preferred() {
        return BORINGSSL.isAvailable() ? BORINGSSL : JDK;
    }

    /**
     * The {@code tls.provider} setting: {@code auto} (or empty) for {@link #preferred()}, {@code boringssl} or
     * {@code jdk}.
     *
     * @throws TlsSetupException for another word, or for {@code boringssl} where it does not load (with why)
     */
    public static TlsProvider parse(String setting) {
        String s = setting == null ? "" : setting.trim().toLowerCase(Locale.ROOT);
        switch (s) {
            case "", "auto":
                return preferred();
            case "jdk":
                return JDK;
            case "boringssl":
                if (!BORINGSSL.isAvailable()) {
                    throw new TlsSetupException("tls.provider = boringssl, but BoringSSL does not load here ("
                            + BORINGSSL.unavailableReason() + "); use auto or jdk");
                }
                return BORINGSSL;
            default:
                throw new TlsSetupException("tls.provider must be auto, boringssl or jdk, not '" + setting + "'");
        }
    }

    public boolean isAvailable() {
        // Netty looks in java.library.path before its bundled copy: a distribution's tcnative built on OpenSSL
        // could load there, and would not be what this name promises.
        return this == JDK || OpenSsl.isAvailable() && String.valueOf(OpenSsl.versionString()).contains("BoringSSL");
    }

    /** Why this provider does not load here (empty when it does). */
    public String unavailableReason() {
        if (isAvailable()) {
            return "";
        }
        Throwable cause = OpenSsl.unavailabilityCause();
        if (cause == null) {
            return "a native TLS library loaded, but it is " + OpenSsl.versionString() + ", not the bundled BoringSSL";
        }
        // The outer message only lists the names tried; why each failed (the architecture, a noexec work
        // directory) is further down, in causes and suppressed exceptions.
        StringBuilder why = new StringBuilder(String.valueOf(cause.getMessage()));
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        java.util.ArrayDeque<Throwable> todo = new java.util.ArrayDeque<>();
        todo.add(cause);
        while (!todo.isEmpty() && why.length() < 600) {
            Throwable t = todo.poll();
            if (!seen.add(t)) {
                continue;
            }
            if (t != cause && t.getMessage() != null && why.indexOf(t.getMessage()) < 0) {
                why.append("; ").append(t.getMessage());
            }
            if (t.getCause() != null) {
                todo.add(t.getCause());
            }
            todo.addAll(java.util.Arrays.asList(t.getSuppressed()));
        }
        return why.toString();
    }

    /** For the daemon's start line. */
    public String label() {
        return label;
    }
}
