package org.lamaworker.worker.testing;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The packaged worker ({@code target/lama-worker.jar run}) in a process of its own, configured only
 * through {@code LAMA_*} environment variables, as a container would run it. Its output is kept for
 * assertions.
 */
public final class WorkerProcess implements AutoCloseable {
    private final Process process;
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final Thread reader;

    /** Lines waited for by {@link #awaitLine}. */
    private final List<Watcher> watchers = new java.util.concurrent.CopyOnWriteArrayList<>();

    private record Watcher(String text, CompletableFuture<String> seen) {}

    private WorkerProcess(Process process) {
        this.process = process;
        this.reader = new Thread(this::read, "worker-output-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts a worker with these settings ({@code LAMA_...} names) and waits until it is ready. */
    public static WorkerProcess start(Path workDir, Map<String, String> environment)
            throws Exception {
        return launch(workDir, environment).awaitReady();
    }

    /** Starts a worker without waiting; see {@link #awaitReady()}. */
    public static WorkerProcess launch(Path workDir, Map<String, String> environment)
            throws java.io.IOException {
        return launch(FULL_JAR, workDir, environment);
    }

    /** Starts {@code jar run} without waiting; see {@link #awaitReady()}. */
    public static WorkerProcess launch(Path jar, Path workDir, Map<String, String> environment)
            throws java.io.IOException {
        return launch(jar, workDir, environment, List.of());
    }

    /**
     * Starts {@code jar run} with more JVM options (such as {@code -Dlogback.configurationFile=})
     * without waiting; see {@link #awaitReady()}.
     */
    public static WorkerProcess launch(
            Path jar, Path workDir, Map<String, String> environment, List<String> moreJvmOptions)
            throws java.io.IOException {
        List<String> jvmOptions = new ArrayList<>(List.of("-Xmx1g", "-XX:+UseSerialGC"));
        jvmOptions.addAll(moreJvmOptions);
        ProcessBuilder builder =
                packagedJar(jar, workDir, jvmOptions, "run").redirectErrorStream(true);
        builder.environment().putAll(environment);
        return new WorkerProcess(builder.start());
    }

    /** The full jar this module packages: the serving jar plus the development tooling. */
    public static final Path FULL_JAR = Path.of("target", "lama-worker.jar").toAbsolutePath();

    /** The serving jar the server module packages, which production images carry. */
    public static final Path SERVING_JAR =
            Path.of("..", "server", "target", "lama-worker-server.jar")
                    .toAbsolutePath()
                    .normalize();

    /**
     * {@code java JVM_OPTIONS -jar target/lama-worker.jar ARGS} in {@code workDir}, as a user runs
     * the packaged jar, without this JVM's {@code LAMA_} variables.
     */
    public static ProcessBuilder packagedJar(
            Path workDir, List<String> jvmOptions, String... args) {
        return packagedJar(FULL_JAR, workDir, jvmOptions, args);
    }

    /**
     * {@code java JVM_OPTIONS -jar JAR ARGS} in {@code workDir}, without {@code LAMA_} variables.
     */
    public static ProcessBuilder packagedJar(
            Path jar, Path workDir, List<String> jvmOptions, String... args) {
        if (!Files.exists(jar)) {
            throw new IllegalStateException(
                    jar + " is missing: run the integration tests with verify");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("LAMA_"));
        return builder;
    }

    /**
     * Reads a process's output on a daemon thread until it ends, so the process never blocks on a
     * full pipe; the future completes with everything it wrote.
     *
     * @param seen completed with the first line containing {@code text}
     */
    public static java.util.concurrent.CompletableFuture<String> drain(
            Process process, String text, java.util.concurrent.CompletableFuture<String> seen) {
        java.util.concurrent.CompletableFuture<String> all =
                new java.util.concurrent.CompletableFuture<>();
        Thread reader =
                new Thread(
                        () -> {
                            StringBuilder out = new StringBuilder();
                            try (java.io.BufferedReader lines =
                                    new java.io.BufferedReader(
                                            new java.io.InputStreamReader(
                                                    process.getInputStream(),
                                                    java.nio.charset.StandardCharsets.UTF_8))) {
                                String line;
                                while ((line = lines.readLine()) != null) {
                                    out.append(line).append('\n');
                                    if (line.contains(text)) {
                                        seen.complete(line);
                                    }
                                }
                            } catch (java.io.IOException e) {
                                out.append(e);
                            }
                            seen.completeExceptionally(
                                    new AssertionError("no line with '" + text + "' in:\n" + out));
                            all.complete(out.toString());
                        },
                        "process-output");
        reader.setDaemon(true);
        reader.start();
        return all;
    }

    /** Waits until the worker logged that it is ready; kills it if it does not get there. */
    public WorkerProcess awaitReady() throws InterruptedException {
        try {
            ready.get(3, TimeUnit.MINUTES);
        } catch (Exception e) {
            kill();
            throw new AssertionError("worker did not become ready:\n" + output(), e);
        }
        return this;
    }

    /**
     * Waits for the first line containing {@code text}, among those logged so far or to come.
     *
     * @return the line
     * @throws AssertionError when none comes within the time or the worker exits first
     */
    public String awaitLine(String text, java.time.Duration timeout) throws InterruptedException {
        CompletableFuture<String> seen = new CompletableFuture<>();
        watchers.add(new Watcher(text, seen));
        synchronized (log) {
            log.stream().filter(l -> l.contains(text)).findFirst().ifPresent(seen::complete);
        }
        try {
            return seen.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException
                | java.util.concurrent.TimeoutException e) {
            throw new AssertionError(
                    "no line with '" + text + "' within " + timeout + ":\n" + output(), e);
        }
    }

    private void read() {
        try (BufferedReader lines =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                log.add(line);
                for (Watcher watcher : watchers) {
                    if (line.contains(watcher.text())) {
                        watcher.seen().complete(line);
                    }
                }
                if (line.contains(" ready: model ")) {
                    ready.complete(null);
                }
            }
        } catch (Exception e) {
            ready.completeExceptionally(e);
        }
        ready.completeExceptionally(new IllegalStateException("worker exited"));
        watchers.forEach(w -> w.seen().completeExceptionally(new IllegalStateException("exited")));
    }

    /** SIGKILL: no shutdown hook, no commit, no goodbye. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, then waits for the exit; true when it exited within the time. */
    public boolean terminate(long seconds) throws InterruptedException {
        process.toHandle().destroy();
        boolean exited = process.waitFor(seconds, TimeUnit.SECONDS);
        reader.join(TimeUnit.SECONDS.toMillis(5));
        return exited;
    }

    /** Waits for the process to exit by itself; true when it did within the time. */
    public boolean awaitExit(long seconds) throws InterruptedException {
        boolean exited = process.waitFor(seconds, TimeUnit.SECONDS);
        if (exited) {
            reader.join(TimeUnit.SECONDS.toMillis(5));
        }
        return exited;
    }

    /** The exit code, once exited. */
    public int exitValue() {
        return process.exitValue();
    }

    /** The last {@code limit} lines the worker logged at WARN or ERROR, for failure messages. */
    public String warnings(int limit) {
        List<String> lines;
        synchronized (log) {
            lines =
                    log.stream()
                            .filter(l -> l.contains(" WARN ") || l.contains(" ERROR "))
                            .toList();
        }
        return String.join("\n", lines.subList(Math.max(0, lines.size() - limit), lines.size()));
    }

    /** Everything it printed so far. */
    public String output() {
        synchronized (log) {
            return String.join("\n", log);
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
