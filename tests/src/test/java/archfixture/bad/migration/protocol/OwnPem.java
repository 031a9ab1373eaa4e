package archfixture.bad.migration.protocol;

import org.bouncycastle.openssl.PEMParser;

/** Breaks rule (g): BouncyCastle outside migration.tls. */
public final class OwnPem {
    public Class<?> parser() {
        return PEMParser.class;
    }
}
