package org.xenpostcopy.migration.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Who the peer of a TLS connection is, as its verified certificate says: the subject's common name and its DNS
 * subject alternative names. A peer is known by any of these names ({@link #answersTo}).
 *
 * @param commonName the subject's CN, or empty if it has none
 * @param dnsNames   the DNS names of the subject alternative name extension
 * @param subject    the whole subject, for messages
 */
public record PeerIdentity(String commonName, List<String> dnsNames, String subject) {
    public PeerIdentity {
        dnsNames = List.copyOf(dnsNames);
    }

    /** SAN type 2 is dNSName (RFC 5280, 4.2.1.6). */
    private static final int DNS_NAME = 2;

    /** The identity a verified certificate gives its holder. */
    public static PeerIdentity of(X509Certificate certificate) {
        String subject = certificate.getSubjectX500Principal().getName();
        return new PeerIdentity(commonName(subject), dnsNames(certificate), subject);
    }

    /** Whether the peer is known by {@code name} (its CN or a DNS name; case does not matter, as in DNS). */
    public boolean answersTo(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return commonName.toLowerCase(Locale.ROOT).equals(n)
                || dnsNames.stream().anyMatch(d -> d.toLowerCase(Locale.ROOT).equals(n));
    }

    /** The name to show and to bind to: the CN, else the first DNS name, else the subject. */
    public String name() {
        if (!commonName.isEmpty()) {
            return commonName;
        }
        return dnsNames.isEmpty() ? subject : dnsNames.get(0);
    }

    /** For messages: {@code CN=alpha, DNS=alpha.lab}. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        parts.add(commonName.isEmpty() ? subject : "CN=" + commonName);
        dnsNames.forEach(d -> parts.add("DNS=" + d));
        return String.join(", ", parts);
    }

    private static String commonName(String subject) {
        try {
            for (Rdn rdn : new LdapName(subject).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return rdn.getValue().toString();
                }
            }
        } catch (InvalidNameException e) {
            throw new IllegalArgumentException("a certificate subject that is not a distinguished name: " + subject, e);
        }
        return "";
    }

    private static List<String> dnsNames(X509Certificate certificate) {
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names == null) {
                return List.of();
            }
            return names.stream().filter(n -> n.get(0) instanceof Integer t && t == DNS_NAME)
                    .map(n -> n.get(1).toString()).toList();
        } catch (CertificateParsingException e) {
            throw new IllegalArgumentException("unreadable subject alternative names in " + certificate.getSubjectX500Principal(), e);
        }
    }
}
