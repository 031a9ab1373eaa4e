package org.xenpostcopy.migration.tls;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The peers a host talks to, by name ({@code tls.allow = alpha,beta} in the config, {@code --tls-allow}): a peer is
 * let in if its certificate, already verified against the CA, names one of them (CN or DNS SAN). An empty list lets
 * in any certificate the CA signed.
 */
public record PeerAllowList(List<String> names) {
    public PeerAllowList {
        names = names.stream().map(n -> n.trim().toLowerCase(Locale.ROOT)).filter(n -> !n.isEmpty()).distinct().toList();
    }

    /** Any certificate the CA signed. */
    public static PeerAllowList anySignedByTheCa() {
        return new PeerAllowList(List.of());
    }

    /** {@code "alpha, beta"}; blank = any certificate the CA signed. */
    public static PeerAllowList parse(String commaSeparated) {
        return new PeerAllowList(commaSeparated == null ? List.of() : Arrays.asList(commaSeparated.split(",")));
    }

    public boolean allows(PeerIdentity peer) {
        return names.isEmpty() || names.stream().anyMatch(peer::answersTo);
    }

    /** For messages and the daemon's start line. */
    public String describe() {
        return names.isEmpty() ? "any certificate of the CA" : String.join(", ", names);
    }
}
