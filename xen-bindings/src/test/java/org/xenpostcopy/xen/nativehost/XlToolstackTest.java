package org.xenpostcopy.xen.nativehost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.xen.DomainId;
import org.xenpostcopy.xen.XenException;

/** The toolstack as xl, with a stand-in xl script that records how it was called. */
class XlToolstackTest {
    @TempDir
    Path dir;

    private Path fakeXl(String body) throws Exception {
        Path xl = dir.resolve("xl");
        Files.writeString(xl, "#!/bin/sh\necho \"$@\" >> " + dir.resolve("calls") + "\n" + body + "\n");
        Files.setPosixFilePermissions(xl, PosixFilePermissions.fromString("rwxr-xr-x"));
        return xl;
    }

    @Test
    void createsPausedFromTheConfigTextAndFindsTheNewDomain() throws Exception {
        Path xl = fakeXl("case \"$1\" in create) cp \"$4\" " + dir.resolve("seen.cfg") + ";; domid) echo 12;; esac");
        DomainId id = new XlToolstack(dir, xl.toString()).createPaused("vm", "name = \"vm\"\nmemory = 128\n");
        assertEquals(DomainId.of(12), id);
        String calls = Files.readString(dir.resolve("calls"));
        assertTrue(calls.startsWith("create -p -q "), calls);
        assertTrue(calls.contains("domid vm"), calls);
        assertEquals("name = \"vm\"\nmemory = 128\n", Files.readString(dir.resolve("seen.cfg")));
    }

    @Test
    void aFailingXlIsAnErrorWithItsOutput() throws Exception {
        Path xl = fakeXl("echo 'libxl: error: domain vm exists' >&2; exit 3");
        XenException e = assertThrows(XenException.class, () -> new XlToolstack(dir, xl.toString()).destroy(DomainId.of(4)));
        assertTrue(e.getMessage().contains("exit 3") && e.getMessage().contains("domain vm exists"), e.getMessage());
    }

    @Test
    void configsComeFromTheConfigDirectoryByName() throws Exception {
        Files.writeString(dir.resolve("web.cfg"), "name = \"web\"\n");
        XlToolstack xl = new XlToolstack(dir, "xl");
        assertEquals(Optional.of("name = \"web\"\n"), xl.configOf("web"));
        assertEquals(Optional.empty(), xl.configOf("other"));
        assertEquals(Optional.empty(), xl.configOf("../web"), "no paths out of the directory");
    }

    @Test
    void anIncomingDomainIsBuiltFromThisHostsOwnConfigWhenThereIsOne() throws Exception {
        Files.writeString(dir.resolve("web.cfg"), "name = \"web\"\nmemory = 64\n");
        XlToolstack xl = new XlToolstack(dir, "xl");
        assertEquals("name = \"web\"\nmemory = 64\n", xl.configForIncoming("web", 64 * 256,
                Optional.of("name = \"web\"\nmemory = 64\nbootloader = \"/tmp/x\"\n")));
        assertThrows(XenException.class, () -> xl.configForIncoming("db", 64 * 256,
                Optional.of("name = \"db\"\nbootloader = \"/tmp/x\"\n")), "no own db.cfg: the travelled one is judged");
    }

    @Test
    void theFencePausesTheDomainWhenThisProcessDiesAndNotWhenItIsReleased() throws Exception {
        Path xl = fakeXl("");
        XlPauseFence released = (XlPauseFence) new XlToolstack(dir, xl.toString()).pauseIfThisProcessDies(DomainId.of(7));
        assertTrue(released.watching());
        released.close();
        assertEquals(0, released.awaitExit(10));
        assertTrue(!Files.exists(dir.resolve("calls")), "released: xl was not run");

        XlPauseFence dying = (XlPauseFence) new XlToolstack(dir, xl.toString()).pauseIfThisProcessDies(DomainId.of(9));
        dying.closePipeUnreleased();      // as the kernel closes it when this process dies
        assertEquals(0, dying.awaitExit(10));
        assertEquals("pause 9\n", Files.readString(dir.resolve("calls")));
    }
}
