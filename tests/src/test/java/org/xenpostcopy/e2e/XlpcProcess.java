package org.xenpostcopy.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs {@code xlpc} as users do: {@code java -jar xlpc.jar ...} in its own JVM. */
final class XlpcProcess {
    private XlpcProcess() {
    }

    static Path jar() {
        Path jar = Path.of(System.getProperty("xlpc.jar", "../migration-plugin/target/xlpc.jar"));
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: build with mvn package first");
        }
        return jar;
    }

    static ProcessBuilder builder(Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-jar", jar().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("XLPC_TOKEN");
        pb.environment().remove("XLPC_DAEMON");
        pb.environment().remove("XLPC_CONFIG");
        pb.environment().putAll(env);
        return pb;
    }

    /** A finished command: exit code and what it printed. */
    record Result(int exit, String out, String err) {
    }

    static Result run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        Process p = builder(env, args).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("xlpc " + String.join(" ", args) + " did not finish in 5 minutes");
        }
        return new Result(p.exitValue(), out.join(), err.join());
    }

    /** Runs {@code xlpc --daemon <daemon> args...}: a command against a running daemon at {@code host:port}. */
    static Result against(Map<String, String> env, String daemon, String... args)
            throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("--daemon", daemon));
        all.addAll(List.of(args));
        return run(env, all.toArray(new String[0]));
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * A running {@code xlpc daemon} on a free loopback port (unless {@code extra} names a {@code --listen}
     * address: a daemon restarted where its peers know it). Ephemeral unless {@code extra} names a
     * {@code --state-dir}: tests leave nothing in {@code /dev/shm}, and parallel runs share no directory.
     */
    static final class Daemon implements AutoCloseable {
        final Process process;
        final String address;
        private final StringBuilder log = new StringBuilder();
        private final Thread errDrain;

        Daemon(String name, Map<String, String> env, String... extra) throws IOException, InterruptedException {
            List<String> args = new ArrayList<>(List.of("daemon", "--name", name, "--dsb-interval-ms", "500"));
            args.addAll(List.of(extra));
            if (!args.contains("--listen")) {
                args.addAll(List.of("--listen", "127.0.0.1:0"));
            }
            if (!args.contains("--state-dir")) {
                args.add("--ephemeral");
            }
            process = builder(env, args.toArray(new String[0])).start();
            errDrain = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        synchronized (log) {
                            log.append(line).append('\n');
                        }
                    }
                } catch (IOException ignored) {
                    // process ended
                }
            });
            errDrain.setDaemon(true);
            errDrain.start();
            CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)).readLine();
                } catch (IOException e) {
                    return null;
                }
            });
            String line;
            try {
                line = first.get(60, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                process.destroyForcibly();
                throw new AssertionError("daemon " + name + " did not start: " + log(), e);
            }
            if (line == null || !line.startsWith("listening on ")) {
                process.destroyForcibly();
                throw new AssertionError("daemon " + name + " said '" + line + "': " + log());
            }
            address = line.substring("listening on ".length()).trim();
        }

        String log() {
            synchronized (log) {
                return log.toString();
            }
        }

        /**
         * SIGKILL, as the OOM killer or a crash ends it: no shutdown hook runs. The process is the daemon's JVM
         * itself ({@link #builder} starts {@code java}, no shell), so nothing survives it but what it left in files.
         */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("daemon did not die on SIGKILL");
            }
            errDrain.join(10_000);
        }

        /** SIGTERM, as an init system stops it; returns the exit code. */
        int stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("daemon did not stop on SIGTERM: " + log());
            }
            errDrain.join(10_000);   // everything it wrote to stderr, to the end
            return process.exitValue();
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                stop();
            }
        }
    }
}
