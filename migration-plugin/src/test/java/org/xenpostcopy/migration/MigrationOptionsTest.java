package org.xenpostcopy.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.xenpostcopy.migration.link.LinkShaper;

class MigrationOptionsTest {
    @Test
    void aLinkRateNoNetworkCarriesIsRefusedWhenTheMigrationIsAskedFor() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MigrationOptions.defaults().withLink(LinkShaper.MAX_MBPS + 1, 0));
        assertTrue(e.getMessage().contains("more than any network carries"), e.getMessage());
        assertEquals(LinkShaper.MAX_MBPS, MigrationOptions.defaults().withLink(LinkShaper.MAX_MBPS, 0).linkMbps());
        assertThrows(IllegalArgumentException.class, () -> MigrationOptions.defaults().withLink(-1, 0));
    }
}
