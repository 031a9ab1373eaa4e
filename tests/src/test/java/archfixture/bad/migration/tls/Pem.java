package archfixture.bad.migration.tls;

import org.bouncycastle.openssl.PEMParser;

/** Allowed by rule (g): BouncyCastle inside migration.tls. */
public final class Pem {
    public Class<?> parser() {
        return PEMParser.class;
    }
}
