package archfixture.bad.migration.tls;

import io.netty.handler.ssl.OpenSsl;

/** Allowed by rule (g): BoringSSL's engines are made in migration.tls. */
public final class Engines {
    public Class<?> boringSsl() {
        return OpenSsl.class;
    }
}
