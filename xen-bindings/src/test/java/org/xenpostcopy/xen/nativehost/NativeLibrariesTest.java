package org.xenpostcopy.xen.nativehost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xenpostcopy.xen.emulated.EmulatedXenStore;
import org.xenpostcopy.xen.xswire.XsWireServer;

/** The bindings against Debian's real Xen 4.17 libraries and headers (skipped, naming the package, if absent). */
class NativeLibrariesTest {
    private static final Path LIBDIR = Path.of("/usr/lib/x86_64-linux-gnu");

    private static void assumeLibrary(String name) {
        assumeTrue(Files.exists(LIBDIR.resolve("lib" + name + ".so")),
                "skipped: lib" + name + ".so is missing (apt-get install libxen-dev)");
    }

    /** Every function an interface declares resolves in the real library. */
    private static void resolvesEverySymbol(String lib, Class<? extends Library> api) {
        assumeLibrary(lib);
        NativeLibrary nl = NativeLibrary.getInstance(lib);
        int n = 0;
        for (Method m : api.getDeclaredMethods()) {
            if (m.isSynthetic() || java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            assertNotNull(nl.getFunction(m.getName()), lib + " lacks " + m.getName());
            n++;
        }
        assertTrue(n > 0);
    }

    @Test
    void everyDeclaredFunctionExistsInTheRealLibraries() {
        resolvesEverySymbol("xenctrl", LibXenCtrl.class);
        resolvesEverySymbol("xenevtchn", LibXenEvtchn.class);
        resolvesEverySymbol("xenforeignmemory", LibXenForeignMemory.class);
        resolvesEverySymbol("xenstore", LibXenStore.class);
    }

    @Test
    void domainInfoLayoutMatchesTheHeader(@TempDir Path dir) throws Exception {
        assumeTrue(Files.exists(Path.of("/usr/include/xenctrl.h")), "skipped: xenctrl.h is missing (apt-get install libxen-dev)");
        String[] fields = {"domain", "flags", "tot_pages", "max_pages", "outstanding_pages", "shr_pages", "paged_pages",
            "shared_info_frame", "cpu_time", "nr_online_vcpus", "max_vcpu_id", "ssidref", "handle", "cpupool",
            "gpaddr_bits"};
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include <xenctrl.h>\nint main(void){\n"
                + "printf(\"size %zu\\n\", sizeof(xc_domaininfo_t));\n"
                + "printf(\"arch_emulation_flags %zu\\n\", offsetof(xc_domaininfo_t, arch_config.emulation_flags));\n");
        for (String f : fields) {
            c.append("printf(\"").append(f).append(" %zu\\n\", offsetof(xc_domaininfo_t, ").append(f).append("));\n");
        }
        c.append("return 0;}\n");
        Map<String, Integer> measured = compileAndRun(dir, c.toString());
        XcDomainInfo info = new XcDomainInfo();
        assertEquals(measured.get("size").intValue(), info.size(), "sizeof(xc_domaininfo_t)");
        for (String f : fields) {
            assertEquals(measured.get(f).intValue(), info.offsetOf(f), "offsetof " + f);
        }
        assertEquals(measured.get("arch_emulation_flags").intValue(), info.offsetOf("arch_emulation_flags"));
    }

    @Test
    void physinfoLayoutMatchesTheHeader(@TempDir Path dir) throws Exception {
        assumeTrue(Files.exists(Path.of("/usr/include/xenctrl.h")), "skipped: xenctrl.h is missing (apt-get install libxen-dev)");
        String[] fields = {"threads_per_core", "nr_cpus", "cpu_khz", "arch_capabilities", "total_pages", "free_pages",
            "scrub_pages", "outstanding_pages", "max_mfn", "hw_cap"};
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include <xenctrl.h>\nint main(void){\n"
                + "printf(\"size %zu\\n\", sizeof(xc_physinfo_t));\n");
        for (String f : fields) {
            c.append("printf(\"").append(f).append(" %zu\\n\", offsetof(xc_physinfo_t, ").append(f).append("));\n");
        }
        c.append("return 0;}\n");
        Map<String, Integer> measured = compileAndRun(dir, c.toString());
        XcPhysinfo p = new XcPhysinfo();
        assertEquals(measured.get("size").intValue(), p.size(), "sizeof(xc_physinfo_t)");
        for (String f : fields) {
            assertEquals(measured.get(f).intValue(), p.offsetOf(f), "offsetof " + f);
        }
    }

    @Test
    void hypercallBufferLayoutMatchesTheHeader(@TempDir Path dir) throws Exception {
        assumeTrue(Files.exists(Path.of("/usr/include/xenctrl.h")), "skipped: xenctrl.h is missing (apt-get install libxen-dev)");
        String[] fields = {"hbuf", "param_shadow", "dir", "ubuf", "sz"};
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include <xenctrl.h>\nint main(void){\n"
                + "printf(\"size %zu\\n\", sizeof(xc_hypercall_buffer_t));\n");
        for (String f : fields) {
            c.append("printf(\"").append(f).append(" %zu\\n\", offsetof(xc_hypercall_buffer_t, ").append(f).append("));\n");
        }
        c.append("return 0;}\n");
        Map<String, Integer> measured = compileAndRun(dir, c.toString());
        XcHypercallBuffer b = new XcHypercallBuffer();
        assertEquals(measured.get("size").intValue(), b.size(), "sizeof(xc_hypercall_buffer_t)");
        for (String f : fields) {
            assertEquals(measured.get(f).intValue(), b.offsetOf(f), "offsetof " + f);
        }
    }

    /** The numbers the bindings pass to Xen, against the installed headers. */
    @Test
    void constantsMatchTheHeaders(@TempDir Path dir) throws Exception {
        assumeTrue(Files.exists(Path.of("/usr/include/xenctrl.h")), "skipped: xenctrl.h is missing (apt-get install libxen-dev)");
        Map<String, Integer> ours = new java.util.LinkedHashMap<>();
        ours.put("XEN_DOMCTL_SHADOW_OP_OFF", LibXenCtrl.SHADOW_OP_OFF);
        ours.put("XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY", LibXenCtrl.SHADOW_OP_ENABLE_LOGDIRTY);
        ours.put("XEN_DOMCTL_SHADOW_OP_CLEAN", LibXenCtrl.SHADOW_OP_CLEAN);
        ours.put("XEN_DOMCTL_SHADOW_OP_PEEK", LibXenCtrl.SHADOW_OP_PEEK);
        ours.put("HVM_PARAM_PAGING_RING_PFN", LibXenCtrl.HVM_PARAM_PAGING_RING_PFN);
        ours.put("XEN_DOMCTL_PFINFO_LTAB_MASK", LibXenCtrl.PFINFO_LTAB_MASK);
        ours.put("XEN_DOMCTL_PFINFO_XTAB", LibXenCtrl.PFINFO_XTAB);
        ours.put("XEN_DOMCTL_PFINFO_XALLOC", LibXenCtrl.PFINFO_XALLOC);
        ours.put("XEN_DOMCTL_PFINFO_BROKEN", LibXenCtrl.PFINFO_BROKEN);
        ours.put("XEN_DOMINF_shutdown", XcDomainInfo.DOMINF_SHUTDOWN);
        ours.put("XEN_DOMINF_paused", XcDomainInfo.DOMINF_PAUSED);
        ours.put("XEN_DOMINF_hvm_guest", XcDomainInfo.DOMINF_HVM_GUEST);
        ours.put("SHUTDOWN_suspend", 2);
        ours.put("HVM_PARAM_STORE_PFN", 1);
        ours.put("HVM_PARAM_IOREQ_PFN", 5);
        ours.put("HVM_PARAM_BUFIOREQ_PFN", 6);
        ours.put("HVM_PARAM_CONSOLE_PFN", 17);
        ours.put("HVM_PARAM_MONITOR_RING_PFN", 28);
        ours.put("HVM_PARAM_SHARING_RING_PFN", 29);
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <xenctrl.h>\n#include <xen/hvm/params.h>\n"
                + "#include <xen/sched.h>\nint main(void){\n");
        for (String name : ours.keySet()) {
            c.append("printf(\"").append(name).append(" %d\\n\", (int)(").append(name).append("));\n");
        }
        c.append("return 0;}\n");
        Map<String, Integer> measured = compileAndRun(dir, c.toString());
        for (Map.Entry<String, Integer> e : ours.entrySet()) {
            assertEquals(measured.get(e.getKey()), e.getValue(), e.getKey());
        }
    }

    private static Map<String, Integer> compileAndRun(Path dir, String program) throws Exception {
        Path src = dir.resolve("abi.c");
        Files.writeString(src, program);
        run(dir, "gcc", "-o", dir.resolve("abi").toString(), src.toString());
        Map<String, Integer> measured = new HashMap<>();
        for (String line : run(dir, dir.resolve("abi").toString()).split("\n")) {
            String[] kv = line.trim().split(" ");
            measured.put(kv[0], Integer.parseInt(kv[1]));
        }
        return measured;
    }

    @Test
    void withoutAHypervisorXcInterfaceOpenFailsWithEnoent() {
        assumeLibrary("xenctrl");
        assumeTrue(!Files.exists(Path.of("/dev/xen/privcmd")), "skipped: this machine runs Xen");
        LibXenCtrl xc = LibXenCtrl.load();
        Handles.XcInterface h = xc.xc_interface_open(null, null, 0);
        assertEquals(null, h == null ? null : h.getPointer());
        assertEquals(2, Native.getLastError(), "ENOENT, as XEN-FACTS.md measured");
    }

    @Test
    void theRealLibxenstoreTalksToOurXenstored(@TempDir Path dir) throws Exception {
        assumeLibrary("xenstore");
        try (EmulatedXenStore store = new EmulatedXenStore("jna");
             XsWireServer server = new XsWireServer(store, dir.resolve("xs.sock"))) {
            // libxenstore reads XENSTORED_PATH when it connects; set it in this process for the call.
            LibC.INSTANCE.setenv("XENSTORED_PATH", server.path().toString(), 1);
            LibXenStore xs = LibXenStore.load();
            Handles.XsHandle h = xs.xs_open(0);
            assertNotNull(h, "xs_open failed, errno " + Native.getLastError());
            try {
                byte[] v = "524288".getBytes(StandardCharsets.UTF_8);
                XenErrors.checkBool(xs.xs_write(h, LibXenStore.XBT_NULL, "/local/domain/5/memory/target", v, v.length),
                        "xs_write", "/local/domain/5/memory/target");
                assertEquals(Optional.of("524288"), store.read("/local/domain/5/memory/target"));
                store.write("/local/domain/5/name", "five");
                IntByReference len = new IntByReference();
                Pointer p = XenErrors.checkPointer(xs.xs_read(h, LibXenStore.XBT_NULL, "/local/domain/5/name", len),
                        "xs_read", "/local/domain/5/name");
                assertEquals("five", new String(p.getByteArray(0, len.getValue()), StandardCharsets.UTF_8));
                LibC.INSTANCE.free(p);
                assertEquals(null, xs.xs_read(h, LibXenStore.XBT_NULL, "/local/domain/5/nothing", len));
                assertEquals(2, Native.getLastError(), "ENOENT for a missing node");
                int t = xs.xs_transaction_start(h);
                assertTrue(t != 0);
                XenErrors.checkBool(xs.xs_write(h, t, "/local/domain/5/tx", v, v.length), "xs_write", "tx");
                store.write("/local/domain/5/tx", "conflict");
                assertEquals(0, xs.xs_transaction_end(h, t, (byte) 0), "EAGAIN on conflict");
                assertEquals(11, Native.getLastError());
            } finally {
                xs.xs_close(h);
                LibC.INSTANCE.unsetenv("XENSTORED_PATH");
            }
        }
    }

    /** setenv/free for the test. */
    interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        int setenv(String name, String value, int overwrite);

        int unsetenv(String name);

        void free(Pointer p);
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
