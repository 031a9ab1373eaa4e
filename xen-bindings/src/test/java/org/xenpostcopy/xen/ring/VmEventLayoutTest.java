package org.xenpostcopy.xen.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pins the Java ring layout to Xen 4.17's C header, measured by gcc. */
class VmEventLayoutTest {
    private static final String HEADER = "/usr/include/xen/vm_event.h";

    @Test
    void layoutConstantsAreXen417s() {
        assertEquals(400, VmEventLayout.EVENT_SIZE);
        assertEquals(8, VmEventLayout.RING_SIZE);
        assertEquals(64, VmEventLayout.OFF_RING);
        assertEquals(7, VmEventLayout.INTERFACE_VERSION);
        assertEquals(3, VmEventLayout.REASON_MEM_PAGING);
        assertEquals(64 + 7 * 400, VmEventLayout.slotOffset(7));
        assertEquals(VmEventLayout.slotOffset(0), VmEventLayout.slotOffset(8), "indexes wrap modulo 8");
    }

    @Test
    void layoutMatchesTheInstalledHeader(@TempDir Path dir) throws Exception {
        assumeTrue(Files.exists(Path.of(HEADER)), "skipped: " + HEADER + " missing (install Debian package libxen-dev)");
        String c = """
                #include <stdio.h>
                #include <stddef.h>
                #include <stdint.h>
                #define __XEN_TOOLS__ 1
                #include <xen/xen.h>
                #include <xen/vm_event.h>
                #define P(name, v) printf("%s %zu\\n", name, (size_t)(v))
                int main(void) {
                    P("EVENT_SIZE", sizeof(vm_event_request_t));
                    P("OFF_VERSION", offsetof(vm_event_request_t, version));
                    P("OFF_FLAGS", offsetof(vm_event_request_t, flags));
                    P("OFF_REASON", offsetof(vm_event_request_t, reason));
                    P("OFF_VCPU_ID", offsetof(vm_event_request_t, vcpu_id));
                    P("OFF_ALTP2M_IDX", offsetof(vm_event_request_t, altp2m_idx));
                    P("OFF_PAGING_GFN", offsetof(vm_event_request_t, u.mem_paging.gfn));
                    P("OFF_PAGING_P2MT", offsetof(vm_event_request_t, u.mem_paging.p2mt));
                    P("OFF_PAGING_FLAGS", offsetof(vm_event_request_t, u.mem_paging.flags));
                    P("U_SIZE", sizeof(((vm_event_request_t *)0)->u));
                    P("OFF_DATA", offsetof(vm_event_request_t, data));
                    P("DATA_SIZE", sizeof(((vm_event_request_t *)0)->data));
                    P("OFF_REQ_PROD", offsetof(vm_event_sring_t, req_prod));
                    P("OFF_REQ_EVENT", offsetof(vm_event_sring_t, req_event));
                    P("OFF_RSP_PROD", offsetof(vm_event_sring_t, rsp_prod));
                    P("OFF_RSP_EVENT", offsetof(vm_event_sring_t, rsp_event));
                    P("OFF_PVT", offsetof(vm_event_sring_t, pvt));
                    P("OFF_RING", offsetof(vm_event_sring_t, ring));
                    P("RING_SIZE", __CONST_RING_SIZE(vm_event, 4096));
                    P("INTERFACE_VERSION", VM_EVENT_INTERFACE_VERSION);
                    P("REASON_MEM_PAGING", VM_EVENT_REASON_MEM_PAGING);
                    P("FLAG_VCPU_PAUSED", VM_EVENT_FLAG_VCPU_PAUSED);
                    P("FLAG_FOREIGN", VM_EVENT_FLAG_FOREIGN);
                    P("MEM_PAGING_DROP_PAGE", MEM_PAGING_DROP_PAGE);
                    P("MEM_PAGING_EVICT_FAIL", MEM_PAGING_EVICT_FAIL);
                    return 0;
                }
                """;
        Path src = dir.resolve("layout.c");
        Files.writeString(src, c);
        Path exe = dir.resolve("layout");
        run(dir, "gcc", "-o", exe.toString(), src.toString());
        Map<String, Long> measured = new HashMap<>();
        for (String line : run(dir, exe.toString()).split("\n")) {
            String[] kv = line.trim().split(" ");
            measured.put(kv[0], Long.parseLong(kv[1]));
        }
        for (Map.Entry<String, Long> e : measured.entrySet()) {
            long java = VmEventLayout.class.getField(e.getKey()).getInt(null);
            assertEquals(e.getValue().longValue(), java, e.getKey() + " differs from " + HEADER);
        }
        assertEquals(25, measured.size());
    }

    private static String run(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed:\n" + out);
        }
        return out;
    }
}
