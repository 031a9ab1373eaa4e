package org.xenpostcopy.migration.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The {@code tls.provider} setting. */
class TlsProviderTest {
    @Test
    void autoAndNothingMeanThePreferredAndTheNamesAreTaken() {
        assertEquals(TlsProvider.preferred(), TlsProvider.parse(""));
        assertEquals(TlsProvider.preferred(), TlsProvider.parse(" Auto "));
        assertEquals(TlsProvider.JDK, TlsProvider.parse("jdk"));
        if (TlsProvider.BORINGSSL.isAvailable()) {
            assertEquals(TlsProvider.BORINGSSL, TlsProvider.parse("boringssl"));
            assertEquals(TlsProvider.BORINGSSL, TlsProvider.preferred());
        }
    }

    @Test
    void anotherWordIsRefusedWithTheChoices() {
        TlsSetupException e = assertThrows(TlsSetupException.class, () -> TlsProvider.parse("openssl"));
        assertEquals("tls.provider must be auto, boringssl or jdk, not 'openssl'", e.getMessage());
    }

    /** CI and the lab run on Linux x86-64, where the native library ships: its absence there is a packaging fault. */
    @Test
    void boringSslLoadsOnLinuxX8664() {
        if (System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64")) {
            assertTrue(TlsProvider.BORINGSSL.isAvailable(), TlsProvider.BORINGSSL.unavailableReason());
        }
    }
}
