package org.lamaworker.worker.app;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.lamaworker.worker.config.ConfigException;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.console.Console;
import org.lamaworker.worker.management.JsonLogs;
import org.lamaworker.worker.management.ManagementServer;
import org.lamaworker.worker.management.WorkerMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code run}: builds the configuration, starts the embedded development servers when nothing is
 * configured (full jar only, through {@link Tooling}), deploys the worker and serves until SIGTERM
 * or Ctrl-C.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = {
            "Serve inpaint jobs until stopped (Ctrl-C or SIGTERM).",
            "With no Kafka and no S3 configured, starts an in-process Kafka broker and S3 server"
                    + " (data under embedded.dir) and prints how to reach them."
        })
public final class RunCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "Properties file (see deploy/lama-worker.properties).")
    Path configFile;

    @Option(
            names = "--model",
            paramLabel = "NAME|FILE|URL",
            description =
                    "ONNX model with a LaMa contract (overrides model.path): a catalogue name"
                            + " (lama: big-lama's public export, see model list), a file, or an"
                            + " s3:// or https:// location (https needs model.sha256), downloaded"
                            + " once into model.cacheDir and checked before use.")
    String model;

    @Option(
            names = "--servers-only",
            description =
                    "Start only the embedded Kafka and S3 (nothing configured), no worker: for"
                            + " running several worker processes against one local stack.")
    boolean serversOnly;

    @Override
    public Integer call() {
        WorkerConfig config;
        try {
            config = ConfigLoader.loadWithModel(configFile, model);
        } catch (ConfigException e) {
            System.err.println("Configuration error: " + e.getMessage());
            return 2;
        }
        // Decided before the embedded servers' addresses are laid over the configuration.
        boolean consoleOn = config.consoleEnabled();
        if (config.management().jsonLogs()) {
            JsonLogs.enable();
        }
        Tooling.LocalStack dev = null;
        Vertx vertx = null;
        Console console = null;
        WorkerMetrics metrics = new WorkerMetrics();
        try {
            if (config.embedded()) {
                Optional<Tooling> tooling = Tooling.installed();
                if (tooling.isEmpty()) {
                    System.err.println(
                            "No Kafka or S3 configured (kafka.bootstrap.servers, s3.endpoint). This"
                                    + " is the serving jar, which has no embedded development"
                                    + " servers: configure both, or use the full jar"
                                    + " (worker/target/lama-worker.jar) for a local stack.");
                    return 2;
                }
                dev = tooling.get().startLocalStack(config);
                config = dev.apply(config);
                System.out.println(dev.describe());
                System.out.println(anotherWorker(dev.workerEnvironment(), configFile, model));
                if (config.model().path() == null && config.model().remote() == null) {
                    System.out.println(
                            "model=reference-fill (NOT LaMa; for real object removal run with"
                                    + " --model lama, which downloads big-lama's 208 MB export once)");
                }
            }
            if (serversOnly && dev == null) {
                System.err.println(
                        "--servers-only starts the embedded servers, but Kafka and S3 are configured");
                return 2;
            }
            if (!serversOnly) {
                vertx = Vertx.vertx();
                WorkerVerticle worker = new WorkerVerticle(config, metrics);
                WorkerConfig.Management management = config.management();
                if (management.port() >= 0) {
                    // Up before the worker, so probes get 503 while the model loads.
                    ManagementServer server =
                            ManagementServer.start(
                                            vertx,
                                            management.host(),
                                            management.port(),
                                            metrics,
                                            worker::live,
                                            worker::notReadyReason)
                                    .toCompletionStage()
                                    .toCompletableFuture()
                                    .get();
                    LOG.info(
                            "Management on http://{}:{}/ (health/live, health/ready, metrics)",
                            management.host(),
                            server.port());
                }
                vertx.deployVerticle(worker).toCompletionStage().toCompletableFuture().get();
                if (consoleOn) {
                    console =
                            Console.start(vertx, config, metrics.registry(), worker::modelId)
                                    .toCompletionStage()
                                    .toCompletableFuture()
                                    .get();
                    System.out.println("Console: " + console.url());
                }
            }
        } catch (ExecutionException | RuntimeException | InterruptedException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            LOG.error("Worker failed to start: {}", cause.getMessage(), cause);
            close(console, vertx, dev, metrics, 60_000);
            return 1;
        }
        long closeMillis = config.delivery().shutdownGraceMillis() + 30_000;
        CountDownLatch stopped = new CountDownLatch(1);
        Vertx running = vertx;
        Console page = console;
        Tooling.LocalStack servers = dev;
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    LOG.info("Stopping");
                                    close(page, running, servers, metrics, closeMillis);
                                    stopped.countDown();
                                },
                                "lama-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /**
     * A command line that starts one more worker on this host against the same servers: their
     * settings, and a free management port, since this process may hold 8081.
     */
    static String anotherWorker(
            java.util.Map<String, String> environment, Path configFile, String model) {
        StringBuilder line = new StringBuilder("another worker: ");
        new java.util.TreeMap<>(environment)
                .forEach((name, value) -> line.append(name).append('=').append(value).append(' '));
        line.append("LAMA_MANAGEMENT_PORT=0 java -jar ")
                .append(quoted(runningJar()))
                .append(" run");
        // The same model and settings: a worker of the group with another model would answer
        // part of the jobs with it.
        if (configFile != null) {
            line.append(" --config ").append(quoted(configFile.toAbsolutePath().toString()));
        }
        if (model != null) {
            line.append(" --model ").append(quoted(model));
        }
        return line.toString();
    }

    private static String quoted(String word) {
        return word.matches("[A-Za-z0-9_./:@=,+-]+")
                ? word
                : "'" + word.replace("'", "'\\''") + "'";
    }

    /** The jar this process runs from, as a path to paste; the full jar's name if unknown. */
    private static String runningJar() {
        try {
            java.nio.file.Path jar =
                    java.nio.file.Path.of(
                            RunCommand.class
                                    .getProtectionDomain()
                                    .getCodeSource()
                                    .getLocation()
                                    .toURI());
            if (jar.toString().endsWith(".jar")) {
                java.nio.file.Path here = java.nio.file.Path.of("").toAbsolutePath();
                return jar.startsWith(here) ? here.relativize(jar).toString() : jar.toString();
            }
        } catch (java.net.URISyntaxException | SecurityException e) {
            // fall through to the usual name
        }
        return "worker/target/lama-worker.jar";
    }

    /**
     * The console first (it submits jobs), then Vert.x (the worker stops in stages), then what it
     * used: dev servers, metrics.
     */
    private static void close(
            Console console,
            Vertx vertx,
            Tooling.LocalStack dev,
            WorkerMetrics metrics,
            long timeoutMillis) {
        if (console != null) {
            try {
                console.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("The console did not close cleanly: {}", e.toString());
            }
        }
        if (vertx != null) {
            try {
                vertx.close()
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get(timeoutMillis, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.warn("Vert.x did not close cleanly: {}", e.toString());
            }
        }
        if (dev != null) {
            dev.close();
        }
        metrics.close();
    }
}
