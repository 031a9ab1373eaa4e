package archfixture.bad.migration.protocol;

import io.netty.handler.ssl.OpenSsl;

/** Breaks rule (g): netty-tcnative's BoringSSL outside migration.tls. */
public final class OwnEngine {
    public Class<?> boringSsl() {
        return OpenSsl.class;
    }
}
