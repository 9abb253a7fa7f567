package org.lamaworker.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.worker.app.Main;
import org.lamaworker.worker.config.ModelContract;
import org.lamaworker.worker.testing.CoffeeJobs;
import org.lamaworker.worker.testing.ModelHttpServer;
import org.lamaworker.worker.testing.ResultLog;
import org.lamaworker.worker.testing.SelfSignedCertificate;
import org.lamaworker.worker.testing.TestServers;
import org.lamaworker.worker.testing.WorkerProcess;
import org.lamaworker.worker.tools.generate.ModelGenerator;
import picocli.CommandLine;

/**
 * Real models by name or URL, end to end with the packaged jar and local model hosts only: a worker
 * downloads a generated contract-a model once (readiness says so meanwhile), serves jobs with it
 * and starts from the cache next time; a wrong checksum or an unreachable host stops it before it
 * is ready with a message that says why; two processes on one host download once; {@code model
 * list} and {@code model fetch} report through their exit codes; a mirror is tried first.
 */
class ModelDownloadIT {
    private static final Pattern PORT = Pattern.compile("Management on http://[^:]+:(\\d+)/");
    private static byte[] model;
    private static String sha256;

    @BeforeAll
    static void generateModel() throws Exception {
        model = ModelGenerator.generate("reference", ModelContract.A, 512);
        sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(model));
    }

    private static Map<String, String> workerEnvironment(
            TestServers servers, String run, Path cache, String modelPath, String sha) {
        Map<String, String> env = servers.workerEnvironment(run, run);
        env.put("LAMA_MODEL_PATH", modelPath);
        env.put("LAMA_MODEL_CACHE_DIR", cache.toString());
        if (sha != null) {
            env.put("LAMA_MODEL_SHA256", sha);
        }
        return env;
    }

    @Test
    void aWorkerDownloadsOnceServesJobsAndStartsFromTheCache(@TempDir Path dir) throws Exception {
        TestServers servers = TestServers.get();
        String run = servers.coffeeRun("download");
        Path cache = dir.resolve("cache");
        try (ModelHttpServer host = ModelHttpServer.start()) {
            URI url = host.serve("/exports/ref-a.onnx", model);
            host.hold();
            Map<String, String> env =
                    workerEnvironment(servers, run, cache, url.toString(), sha256);
            try (ResultLog results =
                            new ResultLog(servers.bootstrapServers(), run + ".results", false);
                    WorkerProcess worker = WorkerProcess.launch(dir, env)) {
                // While the body is held the worker is downloading: not ready, and it says so.
                int port = managementPort(worker);
                HttpResponse<String> during = ready(port);
                assertThat(during.statusCode()).isEqualTo(503);
                assertThat(during.body()).contains("downloading model ref-a.onnx");
                host.release();
                worker.awaitReady();
                assertThat(ready(port).statusCode()).isEqualTo(200);
                List<String> ids =
                        CoffeeJobs.produce(servers.bootstrapServers(), run + ".jobs", run, "d-", 1);
                List<InpaintResult> got = results.awaitDistinct(ids.size(), worker::output);
                assertThat(got).extracting(InpaintResult::status).containsOnly(JobStatus.SUCCEEDED);
                assertThat(worker.output()).contains("ref-a.onnx@" + sha256.substring(0, 12));
            }
            assertThat(host.requests("/exports/ref-a.onnx")).isEqualTo(1);
            try (WorkerProcess again = WorkerProcess.start(dir, env)) {
                assertThat(again.output()).contains("in the cache");
            }
            assertThat(host.requests("/exports/ref-a.onnx")).as("no second download").isEqualTo(1);
        }
    }

    @Test
    void aWrongChecksumOrAnUnreachableHostStopsTheStart(@TempDir Path dir) throws Exception {
        TestServers servers = TestServers.get();
        String run = "bad-download-" + UUID.randomUUID().toString().substring(0, 8);
        servers.createBucket(run);
        Path cache = dir.resolve("cache");
        int closedPort;
        try (ModelHttpServer host = ModelHttpServer.start()) {
            URI url = host.serve("/x.onnx", model);
            String wrong = "0".repeat(64);
            try (WorkerProcess worker =
                    WorkerProcess.launch(
                            dir, workerEnvironment(servers, run, cache, url.toString(), wrong))) {
                assertThat(worker.awaitExit(120)).as("exited").isTrue();
                assertThat(worker.exitValue()).isNotZero();
                assertThat(worker.output()).contains("SHA-256").contains(wrong).contains(sha256);
            }
            closedPort = host.base().getPort();
        }
        try (var files = Files.walk(cache)) {
            assertThat(
                            files.filter(Files::isRegularFile)
                                    .map(Path::getFileName)
                                    .map(Path::toString))
                    .as("nothing kept but the lock file")
                    .allMatch(name -> name.endsWith(".lock"));
        }
        // The host is gone: its port refuses connections.
        String unreachable = "http://127.0.0.1:" + closedPort + "/x.onnx";
        try (WorkerProcess worker =
                WorkerProcess.launch(
                        dir, workerEnvironment(servers, run, cache, unreachable, sha256))) {
            assertThat(worker.awaitExit(120)).as("exited").isTrue();
            assertThat(worker.exitValue()).isNotZero();
            assertThat(worker.output())
                    .contains("http://127.0.0.1:" + closedPort + "/x.onnx")
                    .containsIgnoringCase("s3");
        }
    }

    @Test
    void twoProcessesOnOneHostDownloadOnce(@TempDir Path dir) throws Exception {
        try (ModelHttpServer host = ModelHttpServer.start()) {
            URI url = host.serve("/shared.onnx", model);
            host.hold();
            Path cache = dir.resolve("cache");
            List<String> args = List.of("model", "fetch", url.toString(), "--sha256", sha256);
            ProcessBuilder first = fetchProcess(dir, cache, args);
            ProcessBuilder second = fetchProcess(dir, cache, args);
            Process a = first.start();
            awaitCondition(() -> host.requests("/shared.onnx") == 1, "the first download began");
            Process b = second.start();
            ByteArrayOutputStream bOut = new ByteArrayOutputStream();
            Thread reader = drain(b, bOut);
            awaitCondition(
                    () -> bOut.toString().contains("Waiting for another process's download"),
                    "the second process waits for the first");
            host.release();
            assertThat(a.waitFor(2, TimeUnit.MINUTES)).isTrue();
            assertThat(b.waitFor(2, TimeUnit.MINUTES)).isTrue();
            reader.join(5_000);
            assertThat(a.exitValue()).isZero();
            assertThat(b.exitValue()).as(bOut.toString()).isZero();
            assertThat(host.requests("/shared.onnx")).as("one download").isEqualTo(1);
            assertThat(bOut.toString()).contains("in the cache");
        }
    }

    @Test
    void listAndFetchReportThroughTheirExitCodes(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        // A model.sha256 configured for model.path does not stand in the catalogue's way.
        Path config = dir.resolve("worker.properties");
        Files.writeString(config, "model.sha256=" + "2".repeat(64) + "\n");
        assertThat(cli.execute("model", "list", "--config", config.toString())).isZero();
        assertThat(out.toString())
                .contains("lama")
                .contains("208044816")
                .contains("1faef5301d78db7dda502fe59966957ec4b79dd64e16f03ed96913c7a4eb68d6")
                .contains("Apache-2.0");
        try (ModelHttpServer host = ModelHttpServer.start()) {
            URI url = host.serve("/f.onnx", model);
            Path cache = dir.resolve("cache");
            String u = url.toString();
            assertThat(fetch(dir, cache, u))
                    .as("a URL without a checksum is a usage error")
                    .isEqualTo(2);
            assertThat(fetch(dir, cache, u, "--sha256", "1".repeat(64)))
                    .as("a checksum mismatch")
                    .isEqualTo(1);
            assertThat(fetch(dir, cache, u, "--sha256", sha256)).isZero();
            assertThat(Files.readAllBytes(cache.resolve(sha256.substring(0, 16)).resolve("f.onnx")))
                    .isEqualTo(model);
        }
    }

    @Test
    void aMirrorIsTriedBeforeThePublicSource(@TempDir Path dir) throws Exception {
        try (ModelHttpServer publicHost = ModelHttpServer.start();
                ModelHttpServer mirror = ModelHttpServer.start()) {
            URI source = publicHost.serve("/pub/test-lama.onnx", model);
            mirror.serve("/fleet/test-lama.onnx", model);
            Path catalog = dir.resolve("catalog.json");
            Files.writeString(catalog, catalogEntry("test-lama", source));
            Path cache = dir.resolve("cache");
            ProcessBuilder fetch = fetchProcess(dir, cache, List.of("model", "fetch", "test-lama"));
            fetch.environment().put("LAMA_MODEL_CATALOG", catalog.toString());
            fetch.environment()
                    .put("LAMA_MODEL_MIRROR", mirror.base().resolve("/fleet").toString());
            assertThat(exit(fetch)).isZero();
            assertThat(mirror.requests("/fleet/test-lama.onnx")).isEqualTo(1);
            assertThat(publicHost.requests("/pub/test-lama.onnx")).as("public source").isZero();
        }
    }

    @Test
    void anHttpsCatalogueEntryWithATestCertificate(@TempDir Path dir) throws Exception {
        SelfSignedCertificate certificate = SelfSignedCertificate.create(dir, "models");
        Path trustStore = certificate.exportTrustStore(dir.resolve("trust.p12"));
        try (ModelHttpServer host = ModelHttpServer.startHttps(certificate.serverContext())) {
            URI source = host.serve("/pub/test-tls.onnx", model);
            Path catalog = dir.resolve("catalog.json");
            Files.writeString(catalog, catalogEntry("test-tls", source));
            Path cache = dir.resolve("cache");
            List<String> trusting =
                    List.of(
                            "-Xmx256m",
                            "-Djavax.net.ssl.trustStore=" + trustStore,
                            "-Djavax.net.ssl.trustStorePassword=" + SelfSignedCertificate.PASSWORD,
                            "-Djavax.net.ssl.trustStoreType=PKCS12");
            List<String> args = List.of("model", "fetch", "test-tls");
            ProcessBuilder untrusting = fetchProcess(dir, cache, args);
            untrusting.environment().put("LAMA_MODEL_CATALOG", catalog.toString());
            assertThat(exit(untrusting)).as("a certificate the JVM does not trust").isEqualTo(1);
            for (int run = 0; run < 2; run++) {
                ProcessBuilder fetch = fetchProcess(dir, cache, trusting, args);
                fetch.environment().put("LAMA_MODEL_CATALOG", catalog.toString());
                assertThat(exit(fetch)).isZero();
            }
            // The refused handshake never reached HTTP; the second trusted fetch used the cache.
            assertThat(host.requests("/pub/test-tls.onnx")).as("one download").isEqualTo(1);
            assertThat(
                            Files.readAllBytes(
                                    cache.resolve(sha256.substring(0, 16))
                                            .resolve("test-tls.onnx")))
                    .isEqualTo(model);
        }
    }

    private static String catalogEntry(String name, URI source) {
        return "[{\"name\":\""
                + name
                + "\",\"file\":\""
                + name
                + ".onnx\",\"url\":\""
                + source
                + "\",\"bytes\":"
                + model.length
                + ",\"sha256\":\""
                + sha256
                + "\",\"contract\":\"a\",\"licence\":\"test\",\"source\":\"generated\"}]";
    }

    /** {@code model fetch ARGS} in a process of its own; its exit code. */
    private static int fetch(Path dir, Path cache, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("model", "fetch"));
        command.addAll(List.of(args));
        return exit(fetchProcess(dir, cache, command));
    }

    private static ProcessBuilder fetchProcess(Path dir, Path cache, List<String> args) {
        return fetchProcess(dir, cache, List.of("-Xmx256m"), args);
    }

    private static ProcessBuilder fetchProcess(
            Path dir, Path cache, List<String> jvmOptions, List<String> args) {
        ProcessBuilder builder =
                WorkerProcess.packagedJar(
                                WorkerProcess.SERVING_JAR,
                                dir,
                                jvmOptions,
                                args.toArray(String[]::new))
                        .redirectErrorStream(true);
        builder.environment().put("LAMA_MODEL_CACHE_DIR", cache.toString());
        return builder;
    }

    private static int exit(ProcessBuilder builder) throws Exception {
        Process process = builder.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = drain(process, out);
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).as(out.toString()).isTrue();
        reader.join(5_000);
        return process.exitValue();
    }

    private static Thread drain(Process process, ByteArrayOutputStream into) {
        Thread reader =
                new Thread(
                        () -> {
                            try {
                                process.getInputStream().transferTo(into);
                            } catch (java.io.IOException e) {
                                // the process ended
                            }
                        },
                        "fetch-output");
        reader.setDaemon(true);
        reader.start();
        return reader;
    }

    private static int managementPort(WorkerProcess worker) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = PORT.matcher(worker.output());
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no management port in:\n" + worker.output());
    }

    private static HttpResponse<String> ready(int port) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            HttpResponse<String> response =
                    client.send(
                            HttpRequest.newBuilder(
                                            URI.create(
                                                    "http://127.0.0.1:" + port + "/health/ready"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            // Before the download starts the worker is checking storage: wait for the download.
            if (response.statusCode() == 200
                    || response.body().contains("downloading")
                    || System.nanoTime() > deadline) {
                return response;
            }
            Thread.sleep(50);
        }
    }

    private static void awaitCondition(java.util.function.BooleanSupplier condition, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited a minute for: " + what);
            }
            Thread.sleep(20);
        }
    }
}
