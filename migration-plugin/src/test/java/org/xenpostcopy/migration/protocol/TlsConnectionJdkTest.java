package org.xenpostcopy.migration.protocol;

import org.xenpostcopy.migration.tls.TlsProvider;

/** {@link TlsConnectionTest} with the JDK's TLS engine, the fallback where BoringSSL does not load. */
class TlsConnectionJdkTest extends TlsConnectionTest {
    @Override
    TlsProvider provider() {
        return TlsProvider.JDK;
    }
}
