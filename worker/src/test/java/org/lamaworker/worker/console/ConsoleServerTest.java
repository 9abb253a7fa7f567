package org.lamaworker.worker.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.protocol.OutputObject;
import org.lamaworker.protocol.Timings;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.job.AccessPolicy;
import org.lamaworker.worker.testing.Corpus;

/**
 * The console's HTTP API against a recording gateway (no Kafka, no S3): what it accepts becomes a
 * v1 job whose every object is under {@code console/}; what it refuses gets a status and a message
 * that says what to change, before anything is stored or produced.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ConsoleServerTest {
    private static final long MAX_BYTES = 1_000_000;
    private static final long MAX_PIXELS = 1_000_000;

    private final Map<String, byte[]> stored = new ConcurrentHashMap<>();
    private final List<InpaintJob> produced = new CopyOnWriteArrayList<>();

    /** When set, uploads wait here until the test completes them. */
    private volatile List<io.vertx.core.Promise<Void>> heldUploads;

    private Vertx vertx;
    private ConsoleServer server;
    private ConsoleJobs jobs;
    private HttpClient http;
    private String base;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        jobs = new ConsoleJobs(10);
        ConsoleServer.Gateway gateway =
                new ConsoleServer.Gateway() {
                    @Override
                    public Future<Void> upload(ObjectRef ref, byte[] bytes, String contentType) {
                        stored.put(ref.toString(), bytes);
                        List<io.vertx.core.Promise<Void>> held = heldUploads;
                        if (held == null) {
                            return Future.succeededFuture();
                        }
                        io.vertx.core.Promise<Void> promise = io.vertx.core.Promise.promise();
                        held.add(promise);
                        return promise.future();
                    }

                    @Override
                    public Future<Void> produce(InpaintJob job) {
                        produced.add(job);
                        return Future.succeededFuture();
                    }

                    @Override
                    public Future<byte[]> read(ObjectRef ref) {
                        byte[] bytes = stored.get(ref.toString());
                        return bytes == null
                                ? Future.failedFuture("no " + ref)
                                : Future.succeededFuture(bytes);
                    }
                };
        server =
                new ConsoleServer(
                        new ConsoleServer.Settings(
                                "worker-1",
                                () -> "reference-fill@abc",
                                true,
                                MAX_BYTES,
                                MAX_PIXELS,
                                "inpaint",
                                "",
                                "auto",
                                new JsonObject().put("strategy", "auto"),
                                "inpaint.jobs"),
                        gateway,
                        vertx.createSharedWorkerExecutor("console-test", 2),
                        jobs,
                        () -> new JsonObject().put("workers", List.of()),
                        System::currentTimeMillis);
        server.listen(vertx, "127.0.0.1", 0, java.util.Set.of())
                .toCompletionStage()
                .toCompletableFuture()
                .get(1, TimeUnit.MINUTES);
        base = "http://127.0.0.1:" + server.port();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
    }

    @Test
    void anAcceptedUploadBecomesAJobWhoseObjectsAreAllUnderConsole() throws Exception {
        byte[] image = Corpus.bytes("coffee.png");
        byte[] mask = Corpus.bytes("coffee.mask.png");
        HttpResponse<String> response =
                post(
                        multipart(
                                part("image", "coffee.png", "image/png", image),
                                part("mask", "mask.png", "image/png", mask),
                                field("options", "{\"strategy\":\"crop\",\"maskDilatePx\":5}")));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        String id = new JsonObject(response.body()).getString("jobId");
        assertThat(id).matches("console-[0-9a-f]{16}");

        assertThat(produced).hasSize(1);
        InpaintJob job = produced.get(0);
        assertThat(job.jobId()).isEqualTo(id);
        assertThat(job.image()).isEqualTo(new ObjectRef("inpaint", "console/" + id + "/image.png"));
        assertThat(job.mask()).isEqualTo(new ObjectRef("inpaint", "console/" + id + "/mask.png"));
        // format=auto is resolved from the picture, so the output's key is known and in console/.
        assertThat(job.output())
                .isEqualTo(new ObjectRef("inpaint", "console/" + id + "/result.png"));
        assertThat(job.options().format()).isEqualTo("png");
        assertThat(job.options().strategy()).isEqualTo("crop");
        assertThat(job.options().maskDilatePx()).isEqualTo(5);
        assertThat(job.attributes()).containsEntry("source", "console");
        assertThat(stored.get("s3://inpaint/console/" + id + "/image.png")).isEqualTo(image);
        assertThat(stored.get("s3://inpaint/console/" + id + "/mask.png")).isEqualTo(mask);

        JsonObject queued = new JsonObject(get("/api/jobs/" + id).body());
        assertThat(queued.getString("state")).isEqualTo("queued");
        assertThat(queued.getJsonObject("input").getInteger("width")).isEqualTo(600);
        assertThat(get("/api/jobs/" + id + "/output").statusCode()).isEqualTo(409);

        jobs.started(id, 1);
        assertThat(new JsonObject(get("/api/jobs/" + id).body()).getString("state"))
                .isEqualTo("running");

        byte[] result = Corpus.bytes("chelsea.png");
        stored.put(job.output().toString(), result);
        jobs.finished(
                InpaintResult.succeeded(
                        id,
                        new OutputObject(
                                "inpaint",
                                job.output().key(),
                                600,
                                400,
                                "image/png",
                                result.length,
                                null,
                                null),
                        Map.of(),
                        1,
                        new Timings(1, 2, 3, 4, 5, 6, 21)),
                2);
        JsonObject done = new JsonObject(get("/api/jobs/" + id).body());
        assertThat(done.getString("state")).isEqualTo("succeeded");
        assertThat(done.getString("outputUrl")).isEqualTo("/api/jobs/" + id + "/output");
        assertThat(done.getJsonObject("result").getJsonObject("timings").getInteger("total"))
                .isEqualTo(21);
        HttpResponse<byte[]> output =
                http.send(
                        HttpRequest.newBuilder(
                                        URI.create(base + "/api/jobs/" + id + "/output?download=1"))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        assertThat(output.statusCode()).isEqualTo(200);
        assertThat(output.body()).isEqualTo(result);
        assertThat(output.headers().firstValue("Content-Type")).hasValue("image/png");
        assertThat(output.headers().firstValue("Content-Disposition"))
                .hasValue("attachment; filename=\"" + id + ".png\"");
    }

    @Test
    void anExplicitFormatNamesTheOutputAndAutoKeepsTheJpegsOwn() throws Exception {
        byte[] jpeg = Corpus.bytes("formats/coffee-444.jpg");
        HttpResponse<String> accepted =
                post(
                        multipart(
                                part("image", "c.jpg", "image/jpeg", jpeg),
                                part("mask", "m.png", "image/png", Corpus.bytes("coffee.mask.png")),
                                field("options", "{\"format\":\"webp\"}")));
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        InpaintJob job = produced.get(0);
        assertThat(job.image().key()).endsWith("/image.jpg");
        assertThat(job.output().key()).endsWith("/result.webp");

        HttpResponse<String> auto =
                post(
                        multipart(
                                part("image", "c.jpg", "image/jpeg", jpeg),
                                part("mask", "m.png", "image/png", Corpus.bytes("coffee.mask.png")),
                                field("options", "{}")));
        assertThat(auto.statusCode()).isEqualTo(202);
        assertThat(produced.get(1).output().key()).endsWith("/result.jpg");
        assertThat(produced.get(1).options().format()).isEqualTo("jpeg");
    }

    @Test
    void withAnOutputPrefixTheOutputLiesUnderItWhereTheWorkerAcceptsIt() {
        ConsoleServer prefixed =
                new ConsoleServer(
                        new ConsoleServer.Settings(
                                "worker-1",
                                () -> null,
                                false,
                                MAX_BYTES,
                                MAX_PIXELS,
                                "inpaint",
                                "results/",
                                "webp",
                                new JsonObject(),
                                "inpaint.jobs"),
                        null,
                        null,
                        jobs,
                        JsonObject::new,
                        System::currentTimeMillis);
        InpaintJob job =
                prefixed.job(
                        "console-1",
                        new ObjectRef("inpaint", "console/console-1/image.png"),
                        new ObjectRef("inpaint", "console/console-1/mask.png"),
                        null,
                        new PictureHeader("png", 10, 10));
        // No format given: the worker's output.format (webp here) names it.
        assertThat(job.output())
                .isEqualTo(new ObjectRef("inpaint", "results/console/console-1/result.webp"));
        WorkerConfig.Storage storage =
                new WorkerConfig.Storage(
                        URI.create("http://s3:9000"),
                        "us-east-1",
                        null,
                        null,
                        "inpaint",
                        null,
                        java.util.Set.of("inpaint"),
                        "results/");
        assertThat(new AccessPolicy(storage).check(job).resolve("webp")).isEqualTo(job.output());
    }

    @Test
    void anUploadOverTheBodyLimitIsRefusedWith413BeforeItsBodyIsSent() throws Exception {
        // What a client that asks first (Expect: 100-continue) sees: the refusal, not a 100.
        long length = server.bodyLimit() + 1;
        String answer;
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream()
                    .write(
                            ("POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                            + "Content-Type: multipart/form-data; boundary="
                                            + BOUNDARY
                                            + "\r\nContent-Length: "
                                            + length
                                            + "\r\nExpect: 100-continue\r\n\r\n")
                                    .getBytes(StandardCharsets.US_ASCII));
            answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(answer).startsWith("HTTP/1.1 413");
        assertThat(answer).contains("image.maxBytes").contains(Long.toString(MAX_BYTES));
        assertThat(produced).isEmpty();
        assertThat(stored).isEmpty();
    }

    @Test
    void aPictureOverImageMaxBytesInsideALargerBodyIsRefusedWith413() throws Exception {
        // Within the body limit (picture + mask room), but the picture alone is over the limit.
        byte[] big = new byte[(int) MAX_BYTES + 1];
        HttpResponse<String> response =
                post(
                        multipart(
                                part("image", "big.png", "image/png", big),
                                part(
                                        "mask",
                                        "m.png",
                                        "image/png",
                                        Corpus.bytes("coffee.mask.png"))));
        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(new JsonObject(response.body()).getString("error"))
                .contains("the picture is larger than " + MAX_BYTES + " bytes")
                .contains("image.maxBytes");
        assertThat(produced).isEmpty();
    }

    @Test
    void aPictureDeclaringTooManyPixelsIsRefusedWith422FromItsHeader() throws Exception {
        byte[] huge = pngDeclaring(30_000, 30_000);
        HttpResponse<String> response =
                post(
                        multipart(
                                part("image", "huge.png", "image/png", huge),
                                part(
                                        "mask",
                                        "m.png",
                                        "image/png",
                                        Corpus.bytes("coffee.mask.png"))));
        assertThat(response.statusCode()).isEqualTo(422);
        assertThat(new JsonObject(response.body()).getString("error"))
                .contains("30000x30000")
                .contains("image.maxPixels");
        assertThat(stored).isEmpty();
    }

    @Test
    void badOptionsAreRefusedNamingTheOption() throws Exception {
        byte[] image = Corpus.bytes("coffee.png");
        byte[] mask = Corpus.bytes("coffee.mask.png");
        HttpResponse<String> unknown =
                post(
                        multipart(
                                part("image", "c.png", "image/png", image),
                                part("mask", "m.png", "image/png", mask),
                                field("options", "{\"strategy\":\"sideways\"}")));
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(unknown.body()).getString("error"))
                .contains("options.strategy")
                .contains("auto, crop, resize, original");
        HttpResponse<String> notJson =
                post(
                        multipart(
                                part("image", "c.png", "image/png", image),
                                part("mask", "m.png", "image/png", mask),
                                field("options", "strategy=crop")));
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(notJson.body()).getString("error")).contains("JSON object");
        HttpResponse<String> pngQuality =
                post(
                        multipart(
                                part("image", "c.png", "image/png", image),
                                part("mask", "m.png", "image/png", mask),
                                field("options", "{\"format\":\"png\",\"quality\":80}")));
        assertThat(pngQuality.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(pngQuality.body()).getString("error")).contains("quality");
        assertThat(produced).isEmpty();
    }

    @Test
    void notAPictureAndAMissingMaskAreRefused() throws Exception {
        HttpResponse<String> text =
                post(
                        multipart(
                                part("image", "notes.png", "image/png", "hello".getBytes()),
                                part(
                                        "mask",
                                        "m.png",
                                        "image/png",
                                        Corpus.bytes("coffee.mask.png"))));
        assertThat(text.statusCode()).isEqualTo(415);
        assertThat(new JsonObject(text.body()).getString("error")).contains("PNG, JPEG, WebP");
        HttpResponse<String> noMask =
                post(multipart(part("image", "c.png", "image/png", Corpus.bytes("coffee.png"))));
        assertThat(noMask.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(noMask.body()).getString("error")).contains("mask");
        HttpResponse<String> jpegMask =
                post(
                        multipart(
                                part("image", "c.png", "image/png", Corpus.bytes("coffee.png")),
                                part("mask", "m.jpg", "image/jpeg", Corpus.bytes("kite.jpg"))));
        assertThat(jpegMask.statusCode()).isEqualTo(415);
        assertThat(produced).isEmpty();
    }

    @Test
    void onlyTheDocumentedCallsAnswer() throws Exception {
        assertThat(get("/").statusCode()).isEqualTo(200);
        assertThat(get("/").headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
        assertThat(get("/console.js").statusCode()).isEqualTo(200);
        assertThat(get("/samples/coffee.jpg").statusCode()).isEqualTo(200);
        JsonObject config = new JsonObject(get("/api/config").body());
        assertThat(config.getJsonObject("model").getBoolean("reference")).isTrue();
        assertThat(config.getJsonObject("limits").getLong("maxPixels")).isEqualTo(MAX_PIXELS);
        assertThat(config.getJsonArray("samples")).hasSize(3);
        assertThat(config.encode()).doesNotContainIgnoringCase("secret");

        assertThat(get("/api/nothing").statusCode()).isEqualTo(404);
        assertThat(get("/../server/pom.xml").statusCode()).isEqualTo(404);
        assertThat(get("/console/index.html").statusCode()).isEqualTo(404);
        assertThat(get("/api/jobs/console-0000000000000000").statusCode()).isEqualTo(404);
        assertThat(get("/api/jobs/console-0000000000000000/output").statusCode()).isEqualTo(404);
        HttpResponse<String> getJobs = get("/api/jobs");
        assertThat(getJobs.statusCode()).isEqualTo(405);
        assertThat(getJobs.headers().firstValue("Allow")).hasValue("POST");
        HttpResponse<String> postConfig =
                http.send(
                        HttpRequest.newBuilder(URI.create(base + "/api/config"))
                                .POST(HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(postConfig.statusCode()).isEqualTo(405);
        HttpResponse<String> deletePage =
                http.send(
                        HttpRequest.newBuilder(URI.create(base + "/")).DELETE().build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(deletePage.statusCode()).isEqualTo(405);
    }

    @Test
    void aPostFromAnotherOriginOrAForeignHostNameIsRefused() throws Exception {
        HttpRequest foreign =
                HttpRequest.newBuilder(URI.create(base + "/api/jobs"))
                        .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                        .header("Origin", "http://evil.example")
                        .POST(
                                HttpRequest.BodyPublishers.ofByteArray(
                                        multipart(
                                                part(
                                                        "image",
                                                        "c.png",
                                                        "image/png",
                                                        Corpus.bytes("coffee.png")),
                                                part(
                                                        "mask",
                                                        "m.png",
                                                        "image/png",
                                                        Corpus.bytes("coffee.mask.png")))))
                        .build();
        assertThat(http.send(foreign, HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(403);
        assertThat(produced).isEmpty();
        // DNS rebinding: a name that resolves here but is not a loopback name, even one that
        // starts like a loopback address.
        for (String name :
                List.of("attacker.example", "127.0.0.1.nip.io", "127.attacker.example")) {
            assertThat(rawGet("/api/fleet", name + ":" + server.port()))
                    .as(name)
                    .startsWith("HTTP/1.1 403");
        }
        for (String name : List.of("localhost", "127.0.0.1", "127.1.2.3", "[::1]")) {
            assertThat(rawGet("/api/fleet", name + ":" + server.port()))
                    .as(name)
                    .startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void boundBeyondLoopbackOnlyAddressesLocalhostAndTheConfiguredNameAreAnswered() {
        assertThat(ConsoleServer.hostAllowed("192.168.1.20", "0.0.0.0", java.util.Set.of()))
                .isTrue();
        assertThat(ConsoleServer.hostAllowed("[fe80::1]", "0.0.0.0", java.util.Set.of())).isTrue();
        assertThat(ConsoleServer.hostAllowed("localhost", "0.0.0.0", java.util.Set.of())).isTrue();
        assertThat(ConsoleServer.hostAllowed("console.lan", "console.lan", java.util.Set.of()))
                .isTrue();
        assertThat(ConsoleServer.hostAllowed("attacker.example", "0.0.0.0", java.util.Set.of()))
                .isFalse();
        assertThat(ConsoleServer.hostAllowed("192.168.1.20.nip.io", "0.0.0.0", java.util.Set.of()))
                .isFalse();
        assertThat(ConsoleServer.hostAllowed("999.1.1.1", "0.0.0.0", java.util.Set.of())).isFalse();
        // Names configured for a reverse proxy, whatever the binding; other names still not.
        java.util.Set<String> proxied = java.util.Set.of("console.example.com");
        assertThat(ConsoleServer.hostAllowed("Console.Example.com", "127.0.0.1", proxied)).isTrue();
        assertThat(ConsoleServer.hostAllowed("console.example.com", "0.0.0.0", proxied)).isTrue();
        assertThat(ConsoleServer.hostAllowed("attacker.example", "127.0.0.1", proxied)).isFalse();
        // Bound to loopback, another machine's address is not this console's.
        assertThat(ConsoleServer.hostAllowed("192.168.1.20", "127.0.0.1", java.util.Set.of()))
                .isFalse();
    }

    @Test
    void uploadsBeyondTheLimitUnderWayAreAnswered503() throws Exception {
        heldUploads = new CopyOnWriteArrayList<>();
        byte[] body = coffeeUpload();
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> first =
                new ArrayList<>();
        for (int i = 0; i < ConsoleServer.MAX_UPLOADS; i++) {
            first.add(
                    http.sendAsync(
                            HttpRequest.newBuilder(URI.create(base + "/api/jobs"))
                                    .header(
                                            "Content-Type",
                                            "multipart/form-data; boundary=" + BOUNDARY)
                                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString()));
        }
        awaitEveryPlaceHeld();
        HttpResponse<String> refused = post(body);
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).contains("1");
        assertThat(refused.body()).contains("2 uploads under way");

        // Once stored, the two are accepted and room is free again.
        heldUploads.forEach(p -> vertx.runOnContext(v -> p.tryComplete()));
        for (var response : first) {
            assertThat(response.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(202);
        }
        heldUploads = null;
        assertThat(post(body).statusCode()).isEqualTo(202);
        assertThat(produced).hasSize(ConsoleServer.MAX_UPLOADS + 1);
    }

    @Test
    void anUploadHoldsItsPlaceUntilItsBytesAreDoneWithEvenIfItsClientLeaves() throws Exception {
        heldUploads = new CopyOnWriteArrayList<>();
        byte[] body = coffeeUpload();
        List<java.net.Socket> clients = new ArrayList<>();
        for (int i = 0; i < ConsoleServer.MAX_UPLOADS; i++) {
            java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port());
            clients.add(socket);
            socket.getOutputStream()
                    .write(
                            ("POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type:"
                                            + " multipart/form-data; boundary="
                                            + BOUNDARY
                                            + "\r\nContent-Length: "
                                            + body.length
                                            + "\r\n\r\n")
                                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            socket.getOutputStream().flush();
        }
        awaitEveryPlaceHeld();
        // The clients leave; their pictures are still being stored.
        for (java.net.Socket socket : clients) {
            socket.close();
        }
        Thread.sleep(200);
        HttpResponse<String> refused = post(body);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);

        // Stored: the places free, and the next upload is taken.
        heldUploads.forEach(p -> vertx.runOnContext(v -> p.tryComplete()));
        heldUploads = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int status;
        do {
            Thread.sleep(20);
            status = post(body).statusCode();
        } while (status == 503 && System.nanoTime() < deadline);
        assertThat(status).isEqualTo(202);
    }

    @Test
    void aChunkedUploadIsAnsweredAtItsFirstRefusalWithoutReadingOn() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            var out = socket.getOutputStream();
            out.write(
                    ("POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                    + "Content-Type: multipart/form-data; boundary="
                                    + BOUNDARY
                                    + "\r\nTransfer-Encoding: chunked\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            // An unexpected part, and the body goes on (no last chunk is ever sent).
            byte[] part =
                    ("--"
                                    + BOUNDARY
                                    + "\r\nContent-Disposition: form-data; name=\"extra\";"
                                    + " filename=\"x.bin\"\r\n\r\nsome bytes and more\r\n")
                            .getBytes(StandardCharsets.US_ASCII);
            out.write(
                    (Integer.toHexString(part.length) + "\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            out.write(part);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer =
                    new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 400").contains("unexpected part extra");
            assertThat(answer.toLowerCase(java.util.Locale.ROOT)).contains("connection: close");
        }
        assertThat(produced).isEmpty();
    }

    // ---- helpers
    // ---------------------------------------------------------------------------------

    private static final String BOUNDARY = "console-test-boundary-7d1f";

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create(base + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(byte[] body) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create(base + "/api/jobs"))
                        .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A whole, acceptable upload: the coffee picture, its mask and empty options. */
    private static byte[] coffeeUpload() throws IOException {
        return multipart(
                part("image", "c.png", "image/png", Corpus.bytes("coffee.png")),
                part("mask", "m.png", "image/png", Corpus.bytes("coffee.mask.png")),
                field("options", "{}"));
    }

    /** Waits until every upload place holds an upload whose two objects are being stored. */
    private void awaitEveryPlaceHeld() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (heldUploads.size() < 2 * ConsoleServer.MAX_UPLOADS) {
            assertThat(System.nanoTime()).as("both uploads reached storage").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    /** A request with a Host header of our choosing, which Java's client does not allow. */
    private String rawGet(String path, String host) throws IOException {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream()
                    .write(
                            ("GET "
                                            + path
                                            + " HTTP/1.1\r\nHost: "
                                            + host
                                            + "\r\nConnection: close\r\n\r\n")
                                    .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private record Part(String name, String fileName, String type, byte[] bytes) {}

    private static Part part(String name, String fileName, String type, byte[] bytes) {
        return new Part(name, fileName, type, bytes);
    }

    private static Part field(String name, String value) {
        return new Part(name, null, null, value.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] multipart(Part... parts) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Part p : parts) {
            StringBuilder head = new StringBuilder("--" + BOUNDARY + "\r\n");
            head.append("Content-Disposition: form-data; name=\"").append(p.name()).append('"');
            if (p.fileName() != null) {
                head.append("; filename=\"").append(p.fileName()).append('"');
            }
            head.append("\r\n");
            if (p.type() != null) {
                head.append("Content-Type: ").append(p.type()).append("\r\n");
            }
            head.append("\r\n");
            out.write(head.toString().getBytes(StandardCharsets.UTF_8));
            out.write(p.bytes());
            out.write("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        out.write(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** A PNG whose header declares {@code width x height}, with no pixels behind it. */
    static byte[] pngDeclaring(int width, int height) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream data = new DataOutputStream(out);
        data.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream header = new DataOutputStream(ihdr);
        header.writeBytes("IHDR");
        header.writeInt(width);
        header.writeInt(height);
        header.write(new byte[] {8, 2, 0, 0, 0});
        byte[] chunk = ihdr.toByteArray();
        data.writeInt(chunk.length - 4);
        data.write(chunk);
        CRC32 crc = new CRC32();
        crc.update(chunk);
        data.writeInt((int) crc.getValue());
        List<byte[]> rest = new ArrayList<>();
        rest.add(new byte[] {0, 0, 0, 0, 'I', 'E', 'N', 'D', (byte) 0xae, 0x42, 0x60, (byte) 0x82});
        for (byte[] bytes : rest) {
            data.write(bytes);
        }
        return out.toByteArray();
    }
}
