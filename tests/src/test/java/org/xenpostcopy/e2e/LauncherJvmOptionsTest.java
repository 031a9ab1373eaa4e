package org.xenpostcopy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The JVM each launcher starts: the repository's {@code ./xlpc} and the installed {@code packaging/bin/xlpc}, each
 * copied into a tree of its own with a stand-in {@code java} that records its arguments. The daemon, the lab and the
 * benchmarks run the engine and get the full JIT and a 2 GiB heap; every other command only talks to a daemon and
 * gets C1 alone and the serial collector; {@code XLPC_JAVA_OPTS}, when set, is used as given.
 */
class LauncherJvmOptionsTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final List<String> LIGHT = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    private static final List<String> ENGINE = List.of("-Xmx2g");

    @TempDir
    Path dir;

    /** The launcher {@code which} ("repository" or "installed") set up in its tree once; returns the script to run. */
    private Path launcher(String which) throws IOException {
        Path calls = dir.resolve("calls");
        String standIn = "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\" >> '" + calls + "'; done\n";
        Path installed = dir.resolve(which.equals("repository") ? "xlpc" : "bin/xlpc");
        if (Files.exists(installed)) {
            return installed;
        }
        if (which.equals("repository")) {
            Path script = copy(REPO.resolve("xlpc"), dir.resolve("xlpc"));
            Files.createDirectories(dir.resolve("migration-plugin/target"));
            Files.createFile(dir.resolve("migration-plugin/target/xlpc.jar"));   // present: nothing is built
            executable(dir.resolve("path/java"), standIn);
            return script;
        }
        Path script = copy(REPO.resolve("packaging/bin/xlpc"), dir.resolve("bin/xlpc"));
        Files.createDirectories(dir.resolve("lib"));
        Files.createFile(dir.resolve("lib/xlpc.jar"));
        executable(dir.resolve("runtime/bin/java"), standIn);
        return script;
    }

    private static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
        return to;
    }

    private static void executable(Path p, String text) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** The JVM options the launcher gave java: its arguments before {@code -jar}. */
    private List<String> jvmOptions(String which, Map<String, String> env, String... args) throws Exception {
        Path script = launcher(which);
        Files.deleteIfExists(dir.resolve("calls"));
        List<String> cmd = new ArrayList<>(List.of(script.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("XLPC_JAVA_OPTS");
        pb.environment().put("PATH", dir.resolve("path") + ":" + System.getenv("PATH"));
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the launcher did not finish");
        assertEquals(0, p.exitValue(), out);
        List<String> call = Files.readAllLines(dir.resolve("calls"));
        int jar = call.indexOf("-jar");
        assertTrue(jar >= 0, "java was not given a jar: " + call);
        assertEquals(List.of(args), call.subList(jar + 2, call.size()), "xlpc's own arguments pass unchanged");
        return call.subList(0, jar);
    }

    @ParameterizedTest
    @ValueSource(strings = {"repository", "installed"})
    void aCommandThatOnlyTalksToADaemonGetsALightJvm(String which) throws Exception {
        assertEquals(LIGHT, jvmOptions(which, Map.of(), "--config", "/etc/xlpc/xlpc.conf", "evacuate", "h1"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"repository", "installed"})
    void theDaemonGetsTheFullJit(String which) throws Exception {
        assertEquals(ENGINE, jvmOptions(which, Map.of(), "--config", "/etc/xlpc/xlpc.conf", "daemon", "--native"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"repository", "installed"})
    void theLabAndTheBenchmarksRunTheEngineAndGetTheFullJit(String which) throws Exception {
        assertEquals(ENGINE, jvmOptions(which, Map.of(), "lab", "--memory", "1024"));
        assertEquals(ENGINE, jvmOptions(which, Map.of(), "bench", "paper", "--quick"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"repository", "installed"})
    void argumentsReadFromAFileMayNameTheDaemonSoTheyGetTheFullJit(String which) throws Exception {
        assertEquals(ENGINE, jvmOptions(which, Map.of(), "@/etc/xlpc/daemon.args"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"repository", "installed"})
    void xlpcJavaOptsIsUsedAsGivenForEveryCommand(String which) throws Exception {
        Map<String, String> env = Map.of("XLPC_JAVA_OPTS", "-Xmx1g -Dx=y");
        assertEquals(List.of("-Xmx1g", "-Dx=y"), jvmOptions(which, env, "list"));
        assertEquals(List.of("-Xmx1g", "-Dx=y"), jvmOptions(which, env, "daemon"));
    }
}
