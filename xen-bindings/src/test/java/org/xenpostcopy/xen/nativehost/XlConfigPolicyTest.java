package org.xenpostcopy.xen.nativehost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.xenpostcopy.xen.XenException;

/** What a destination builds an incoming domain from, and what it refuses in a configuration that travelled. */
class XlConfigPolicyTest {
    private static final long PAGES_128_MIB = 128 * 256 + 256;   // as Xen reports a 128 MiB guest: 1 MiB of slack

    private static final String PLAIN = """
            # a guest's own shape only
            name = "vm"
            type = "pvh"
            extra = "console=hvc0"
            memory = 128
            maxmem = 128
            vif = [ 'bridge=xenbr0' ]
            """;

    @Test
    void readsSettingsAcrossLinesCommentsAndQuotes() {
        XlConfig c = XlConfig.parse("""
                name = 'web' # a comment = not a setting
                memory = 512; maxmem = 1024
                disk = [ 'phy:/dev/vg/web,xvda,w',
                         'file:/srv/#not-a-comment.img,xvdb,r' ]
                vif = [ "bridge=xenbr0,script=/usr/local/bin/evil" ]
                """);
        assertEquals(Optional.of("web"), c.name());
        assertEquals(OptionalLong.of(1024), c.maxMemoryMiB());
        assertTrue(c.raw("disk").orElseThrow().contains("#not-a-comment.img"), c.raw("disk").toString());
        assertEquals(Set.of("disk", "script"), c.reachesIntoDom0());
        assertEquals(Set.of(), XlConfig.parse(PLAIN).reachesIntoDom0(), "a vif with the host's own scripts is fine");
    }

    @Test
    void whatXlWouldStillHonourCannotBeSmuggledPastTheCheck() {
        // an escaped quote does not end a string for xl: the disk line below is a setting, not part of x's value
        assertTrue(XlConfig.parse("name = \"vm\"\nx = \"\\\"'\"\ndisk = ['phy:/dev/sda,xvda,w']\ny = \"'\"\n")
                .reachesIntoDom0().contains("disk"));
        assertTrue(XlConfig.parse("name = \"vm\"\ndisk += ['phy:/dev/sda,xvda,w']\n").reachesIntoDom0().contains("disk"),
                "an append is its key");
        assertTrue(XlConfig.parse("vif = ['bridge=xenbr0,\\x73cript=/tmp/evil']\n").reachesIntoDom0().contains("escapes"),
                "xl decodes escapes a text check cannot see through");
        assertTrue(XlConfig.parse("vif = ['bridge=xenbr0,SCRIPT=/tmp/evil']\n").reachesIntoDom0().contains("script"));
        for (String key : new String[] {"device_model_args", "kernel", "ramdisk", "device_tree", "acpi_firmware",
            "usbdevice", "serial", "vscsi", "some_future_setting"}) {
            assertTrue(XlConfig.parse(key + " = 'x'\n").reachesIntoDom0().contains(key), key + " is not the guest's own");
        }
        assertEquals(java.util.OptionalLong.of(128), XlConfig.parse("memory = 0x80\n").maxMemoryMiB(),
                "numbers as xl reads them");
    }

    @Test
    void thisHostsOwnConfigWinsOverTheOneThatTravelled() {
        String travelled = PLAIN + "bootloader = \"/usr/bin/pygrub\"\n";
        String own = PLAIN + "kernel = \"/root/guest/vmlinuz\"\ndisk = [ 'phy:/dev/vg/vm,xvda,w' ]\n";
        assertEquals(own, XlConfigPolicy.strict().choose("vm", PAGES_128_MIB, Optional.of(own), Optional.of(travelled)),
                "the administrator's own file is trusted as xl trusts it");
        assertEquals(PLAIN, XlConfigPolicy.strict().choose("vm", PAGES_128_MIB, Optional.empty(), Optional.of(PLAIN)));
    }

    @Test
    void aTravelledConfigThatReachesIntoDom0IsRefusedUnlessAllowed() {
        String travelled = PLAIN + "bootloader = \"/usr/bin/pygrub\"\npci = [ '0000:03:00.0' ]\n";
        XenException e = assertThrows(XenException.class,
                () -> XlConfigPolicy.strict().choose("vm", PAGES_128_MIB, Optional.empty(), Optional.of(travelled)));
        assertTrue(e.getMessage().contains("EPERM") && e.getMessage().contains("[bootloader, pci]")
                && e.getMessage().contains("--xl-allow bootloader,pci"), e.getMessage());
        XenException partly = assertThrows(XenException.class, () -> new XlConfigPolicy(Set.of("bootloader"))
                .choose("vm", PAGES_128_MIB, Optional.empty(), Optional.of(travelled)));
        assertTrue(partly.getMessage().contains("[pci]"), partly.getMessage());
        assertEquals(travelled, new XlConfigPolicy(Set.of("bootloader", "pci"))
                .choose("vm", PAGES_128_MIB, Optional.empty(), Optional.of(travelled)));
        assertEquals(travelled, new XlConfigPolicy(Set.of("all"))
                .choose("vm", PAGES_128_MIB, Optional.empty(), Optional.of(travelled)));
    }

    @Test
    void theConfigMustNameTheDomainAndHoldItsMemory() {
        XenException other = assertThrows(XenException.class,
                () -> XlConfigPolicy.strict().choose("db", PAGES_128_MIB, Optional.of(PLAIN), Optional.empty()));
        assertTrue(other.getMessage().contains("names the domain 'vm', the migration 'db'"), other.getMessage());
        XenException small = assertThrows(XenException.class, () -> XlConfigPolicy.strict()
                .choose("vm", 512 * 256, Optional.of(PLAIN), Optional.empty()));
        assertTrue(small.getMessage().contains("gives 'vm' 128 MiB; the guest has 512 MiB"), small.getMessage());
        XenException none = assertThrows(XenException.class,
                () -> XlConfigPolicy.strict().choose("vm", PAGES_128_MIB, Optional.empty(), Optional.empty()));
        assertTrue(none.getMessage().contains("no xl configuration for 'vm'"), none.getMessage());
        XenException nameless = assertThrows(XenException.class, () -> XlConfigPolicy.strict()
                .choose("vm", PAGES_128_MIB, Optional.empty(), Optional.of("memory = 128\n")));
        assertTrue(nameless.getMessage().contains("has no name = setting"), nameless.getMessage());
        XenException noMemory = assertThrows(XenException.class, () -> XlConfigPolicy.strict()
                .choose("vm", PAGES_128_MIB, Optional.empty(), Optional.of("name = 'vm'\nmemory = lots\n")));
        assertTrue(noMemory.getMessage().contains("no memory = (or maxmem =) setting we can read"), noMemory.getMessage());
    }
}
