package org.lamaworker.worker.console;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.protocol.ProtocolException;
import org.lamaworker.worker.image.OutputSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console's HTTP side: the page's static files from the jar and a small JSON API, nothing else.
 * Uploads are checked here (size, declared pixels, options) before anything reaches storage or
 * Kafka, which {@link Gateway} does; the same checks the worker makes later, so that the page gets
 * a specific answer at once instead of a failed job. Requests are answered on the event loop; the
 * one piece of CPU work, reading the pictures' headers (ImageIO, whose first use loads its plugin
 * registry), runs on the console's pool. At most {@value #MAX_UPLOADS} uploads and {@value
 * #MAX_DOWNLOADS} output downloads are under way at once, each held in memory whole, so what the
 * console holds stays a few pictures; more are answered 503.
 *
 * <p>Calls: {@code GET /api/config}, {@code POST /api/jobs} (multipart: {@code image}, {@code
 * mask}, {@code options}), {@code GET /api/jobs/ID}, {@code GET /api/jobs/ID/output}, {@code GET
 * /api/fleet}. Other paths answer 404, other methods 405. It answers only requests addressed to an
 * IP address, {@code localhost} or the configured host name, loopback ones only when bound to
 * loopback, so that a web page cannot reach it through DNS rebinding (which needs a name the
 * attacker controls); and a POST from a page of another origin is refused.
 */
final class ConsoleServer {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleServer.class);

    /** What the API needs from S3 and Kafka. */
    interface Gateway {
        /** Stores an object; completes once stored. */
        Future<Void> upload(ObjectRef ref, byte[] bytes, String contentType);

        /** Produces a job, keyed by its id; completes once the broker acknowledged it. */
        Future<Void> produce(InpaintJob job);

        /** Reads an object whole. */
        Future<byte[]> read(ObjectRef ref);
    }

    /**
     * What the console is configured with.
     *
     * @param workerId this worker's id
     * @param modelId the loaded model's id, or {@code null} while it loads
     * @param reference whether the model is the built-in reference fill (not LaMa)
     * @param maxBytes {@code image.maxBytes}: the largest picture accepted
     * @param maxPixels {@code image.maxPixels}: the most pixels a picture may declare
     * @param bucket {@code s3.bucket}, where uploads and outputs go
     * @param outputPrefix {@code storage.outputPrefix}, which outputs must start with
     * @param outputFormat {@code output.format}, for jobs that name none
     * @param defaults the option values jobs get when they set none, shown as the page's defaults
     * @param jobsTopic the topic jobs are produced to
     */
    record Settings(
            String workerId,
            Supplier<String> modelId,
            boolean reference,
            long maxBytes,
            long maxPixels,
            String bucket,
            String outputPrefix,
            String outputFormat,
            JsonObject defaults,
            String jobsTopic) {}

    /** A sample picture shipped in the jar, offered by the page. */
    record Sample(String file, String title, String credit) {}

    /** The samples under {@code console/samples/}. */
    static final List<Sample> SAMPLES =
            List.of(
                    new Sample(
                            "coffee.jpg",
                            "Coffee cup",
                            "scikit-image sample data, CC0 (Rachel Michetti)"),
                    new Sample(
                            "chelsea.jpg",
                            "Chelsea the cat",
                            "scikit-image sample data, public domain (Stefan van der Walt)"),
                    new Sample(
                            "astronaut.jpg",
                            "Astronaut",
                            "scikit-image sample data, public domain (NASA)"));

    /** Room for the mask: a full-size mask of brush strokes compresses to far less. */
    static final long MASK_MAX_BYTES = 16L << 20;

    /** Room for the options and the multipart framing. */
    private static final long FORM_OVERHEAD_BYTES = 64L << 10;

    private static final Pattern JOB_PATH = Pattern.compile("/api/jobs/([A-Za-z0-9._-]{1,128})");
    private static final Pattern OUTPUT_PATH =
            Pattern.compile("/api/jobs/([A-Za-z0-9._-]{1,128})/output");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Uploads under way at once: each holds up to {@code image.maxBytes} and its mask. */
    static final int MAX_UPLOADS = 2;

    /** Output downloads under way at once: each holds one output. */
    static final int MAX_DOWNLOADS = 2;

    private static final Pattern IPV4 =
            Pattern.compile(
                    "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");

    private final Settings settings;
    private final Gateway gateway;
    private final ConsoleJobs jobs;
    private final Supplier<JsonObject> fleet;
    private final LongSupplier clock;
    private final StaticFiles files;
    private final WorkerExecutor blocking;
    private final AtomicInteger uploads = new AtomicInteger();
    private final AtomicInteger downloads = new AtomicInteger();
    private HttpServer server;
    private String bindHost = "127.0.0.1";
    private java.util.Set<String> allowedHosts = java.util.Set.of();

    /**
     * @param blocking the console's pool, for reading the uploads' headers off the event loop
     */
    ConsoleServer(
            Settings settings,
            Gateway gateway,
            WorkerExecutor blocking,
            ConsoleJobs jobs,
            Supplier<JsonObject> fleet,
            LongSupplier clock) {
        this.settings = settings;
        this.gateway = gateway;
        this.blocking = blocking;
        this.jobs = jobs;
        this.fleet = fleet;
        this.clock = clock;
        this.files = StaticFiles.load();
    }

    /**
     * Starts listening, answering requests addressed to {@code allowedHosts} too ({@code
     * console.allowedHosts}, lower case); fails naming {@code console.port} when the port is taken.
     */
    Future<ConsoleServer> listen(
            Vertx vertx, String host, int port, java.util.Set<String> allowedHosts) {
        this.bindHost = host;
        this.allowedHosts = java.util.Set.copyOf(allowedHosts);
        if (!isLoopback(host)) {
            LOG.warn(
                    "The console listens on {}, beyond this machine, and has no login: whoever"
                            + " reaches it can submit jobs; put your own access control in front",
                    host);
        }
        HttpServerOptions options =
                new HttpServerOptions()
                        // Decided per request: a body over the limit is refused before it is sent.
                        .setHandle100ContinueAutomatically(false)
                        // HTTP/1.1 only: the page needs nothing more.
                        .setHttp2ClearTextEnabled(false)
                        .setMaxFormAttributeSize(16 * 1024)
                        // A connection that stalls is closed, so that it cannot hold an upload's
                        // place for ever.
                        .setIdleTimeout(60)
                        .setMaxFormFields(16);
        server = vertx.createHttpServer(options).requestHandler(this::handle);
        return server.listen(port, host)
                .map(s -> this)
                .recover(
                        failure ->
                                Future.failedFuture(
                                        new IllegalStateException(
                                                "the console cannot listen on "
                                                        + host
                                                        + ":"
                                                        + port
                                                        + " ("
                                                        + failure.getMessage()
                                                        + "): set console.port"
                                                        + " (LAMA_CONSOLE_PORT) to a free port,"
                                                        + " 0 for any free port, or"
                                                        + " console.enabled=false",
                                                failure)));
    }

    /** The port it listens on. */
    int port() {
        return server.actualPort();
    }

    /** Stops listening. */
    Future<Void> close() {
        return server == null ? Future.succeededFuture() : server.close();
    }

    /** The most a whole upload request may be. */
    long bodyLimit() {
        return settings.maxBytes() + maskLimit() + FORM_OVERHEAD_BYTES;
    }

    private long maskLimit() {
        return Math.min(settings.maxBytes(), MASK_MAX_BYTES);
    }

    private void handle(HttpServerRequest request) {
        HttpServerResponse response = request.response();
        response.putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("X-Frame-Options", "DENY")
                .putHeader("Referrer-Policy", "no-referrer")
                .putHeader("Cache-Control", "no-store");
        HostAndPort authority = request.authority();
        if (authority == null || !hostAllowed(authority.host(), bindHost, allowedHosts)) {
            error(
                    request,
                    403,
                    isLoopback(bindHost)
                            ? "this console answers only requests to localhost or 127.0.0.1"
                                    + " (or a name in console.allowedHosts)"
                            : "this console answers only requests to an IP address, localhost, "
                                    + bindHost
                                    + " (console.host) or a name in console.allowedHosts");
            return;
        }
        String path = request.path();
        try {
            route(request, path);
        } catch (RuntimeException e) {
            LOG.warn("Console request {} {} failed: {}", request.method(), path, e.toString());
            if (!response.ended()) {
                error(request, 500, "the console failed on this request; see the worker's log");
            }
        }
    }

    private void route(HttpServerRequest request, String path) {
        if (path.equals("/api/jobs")) {
            if (allowed(request, HttpMethod.POST)) {
                submit(request);
            }
            return;
        }
        Matcher output = OUTPUT_PATH.matcher(path);
        if (output.matches()) {
            if (allowed(request, HttpMethod.GET)) {
                output(request, output.group(1));
            }
            return;
        }
        Matcher job = JOB_PATH.matcher(path);
        if (job.matches()) {
            if (allowed(request, HttpMethod.GET)) {
                job(request, job.group(1));
            }
            return;
        }
        switch (path) {
            case "/api/config" -> {
                if (allowed(request, HttpMethod.GET)) {
                    json(request, 200, config());
                }
            }
            case "/api/fleet" -> {
                if (allowed(request, HttpMethod.GET)) {
                    json(request, 200, fleet.get());
                }
            }
            default -> {
                StaticFiles.File file = files.get(path);
                if (file == null) {
                    error(request, 404, "no such page or call: " + printable(path));
                } else if (allowed(request, HttpMethod.GET)) {
                    request.response()
                            .putHeader(HttpHeaders.CONTENT_TYPE, file.contentType())
                            .putHeader(
                                    "Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' blob: data:;"
                                            + " object-src 'none'; base-uri 'none';"
                                            + " frame-ancestors 'none'; form-action 'self'")
                            .end(Buffer.buffer(file.bytes()));
                }
            }
        }
    }

    /** Whether the method is the path's; answers 405 naming the one allowed when not. */
    private static boolean allowed(HttpServerRequest request, HttpMethod method) {
        if (request.method() == method) {
            return true;
        }
        request.response().putHeader("Allow", method.name());
        error(request, 405, request.method() + " is not allowed here; use " + method.name());
        return false;
    }

    private JsonObject config() {
        String modelId = settings.modelId().get();
        JsonArray samples = new JsonArray();
        for (Sample sample : SAMPLES) {
            samples.add(
                    new JsonObject()
                            .put("url", "/samples/" + sample.file())
                            .put("title", sample.title())
                            .put("credit", sample.credit()));
        }
        return new JsonObject()
                .put("workerId", settings.workerId())
                .put(
                        "model",
                        new JsonObject().put("id", modelId).put("reference", settings.reference()))
                .put(
                        "limits",
                        new JsonObject()
                                .put("maxBytes", settings.maxBytes())
                                .put("maxPixels", settings.maxPixels())
                                .put("maskMaxBytes", maskLimit()))
                .put(
                        "options",
                        new JsonObject()
                                .put("strategies", sorted(JobOptions.STRATEGIES))
                                .put("formats", sorted(JobOptions.FORMATS))
                                .put("maxDilatePx", JobOptions.MAX_DILATE_PX)
                                .put("defaults", settings.defaults().copy()))
                .put("samples", samples)
                .put("bucket", settings.bucket())
                .put("jobsTopic", settings.jobsTopic());
    }

    private static JsonArray sorted(java.util.Set<String> names) {
        // auto first, as the page offers it as the default.
        List<String> list = new java.util.ArrayList<>(new java.util.TreeSet<>(names));
        if (list.remove("auto")) {
            list.add(0, "auto");
        }
        return new JsonArray(list);
    }

    private void job(HttpServerRequest request, String id) {
        JsonObject view = jobs.view(id);
        if (view == null) {
            error(request, 404, "no job " + id + " submitted through this console");
            return;
        }
        if (view.getString("state").equals("succeeded")) {
            view.put("outputUrl", "/api/jobs/" + id + "/output");
        }
        json(request, 200, view);
    }

    private void output(HttpServerRequest request, String id) {
        if (!jobs.knows(id)) {
            error(request, 404, "no job " + id + " submitted through this console");
            return;
        }
        ObjectRef ref = jobs.output(id);
        if (ref == null) {
            error(request, 409, "job " + id + " has no output: it has not succeeded");
            return;
        }
        if (!take(downloads, MAX_DOWNLOADS, request, "downloads", false)) {
            return;
        }
        boolean download = "1".equals(request.getParam("download"));
        String extension = ref.key().substring(ref.key().lastIndexOf('.') + 1);
        gateway.read(ref)
                .onComplete(ar -> downloads.decrementAndGet())
                .onSuccess(
                        bytes -> {
                            HttpServerResponse response = request.response();
                            response.putHeader(HttpHeaders.CONTENT_TYPE, contentType(extension));
                            if (download) {
                                response.putHeader(
                                        "Content-Disposition",
                                        "attachment; filename=\"" + id + "." + extension + "\"");
                            }
                            response.end(Buffer.buffer(bytes));
                        })
                .onFailure(
                        e ->
                                error(
                                        request,
                                        502,
                                        "cannot read the output from storage: " + e.getMessage()));
    }

    private static String contentType(String extension) {
        return switch (extension) {
            case "jpg" -> "image/jpeg";
            case "webp" -> "image/webp";
            default -> "image/png";
        };
    }

    /** A multipart upload being read: its parts as they arrive, and the first reason to refuse. */
    private static final class Upload {
        final Map<String, Buffer> parts = new HashMap<>();
        final Map<String, String> fileNames = new HashMap<>();
        int status;
        String refusal;

        void refuse(int code, String why) {
            if (refusal == null) {
                status = code;
                refusal = why;
            }
        }
    }

    private void submit(HttpServerRequest request) {
        String origin = request.getHeader(HttpHeaders.ORIGIN);
        HostAndPort authority = request.authority();
        if (origin != null
                && (authority == null
                        || !origin.equalsIgnoreCase(
                                "http://"
                                        + authority.host()
                                        + (authority.port() >= 0 ? ":" + authority.port() : "")))) {
            error(request, 403, "jobs are submitted from the console's own page only");
            return;
        }
        String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            error(
                    request,
                    415,
                    "send multipart/form-data with the parts image (the picture), mask (a PNG,"
                            + " white = fill) and options (JSON)");
            return;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            long declared;
            try {
                declared = Long.parseLong(length);
            } catch (NumberFormatException e) {
                error(request, 400, "Content-Length is not a number");
                return;
            }
            if (declared > bodyLimit()) {
                tooLarge(request, declared + " bytes in all");
                return;
            }
        }
        // Without a length the body's size is known only as it arrives: the first part over its
        // cap, or a refusal for lack of room, ends the request there instead of reading (and
        // dropping) the rest. With a length within the limit the body is read to its end, so
        // that the client reads the answer instead of a reset connection.
        boolean chunked = length == null;
        if (!take(uploads, MAX_UPLOADS, request, "uploads", chunked)) {
            return;
        }
        // The place is held while the body arrives and then until the upload's bytes are done
        // with (stored and the job produced, or refused), even if the client has gone.
        AtomicInteger held = new AtomicInteger(1);
        Runnable release =
                () -> {
                    if (held.getAndSet(0) == 1) {
                        uploads.decrementAndGet();
                    }
                };
        java.util.concurrent.atomic.AtomicBoolean bodyDone =
                new java.util.concurrent.atomic.AtomicBoolean();
        request.response()
                .closeHandler(
                        v -> {
                            if (!bodyDone.get()) {
                                release.run();
                            }
                        });
        if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
            request.response().writeContinue();
        }
        Upload upload = new Upload();
        request.setExpectMultipart(true);
        request.uploadHandler(
                part -> {
                    String name = part.name();
                    long limit =
                            switch (name) {
                                case "image" -> settings.maxBytes();
                                case "mask" -> maskLimit();
                                default -> -1;
                            };
                    if (limit < 0 || upload.parts.containsKey(name)) {
                        upload.refuse(
                                400,
                                "unexpected part "
                                        + printable(name)
                                        + ": send one image, one mask and the options");
                        if (chunked) {
                            endAndClose(request, upload.status, upload.refusal);
                        }
                    } else {
                        upload.parts.put(name, Buffer.buffer());
                        upload.fileNames.put(name, part.filename());
                    }
                    part.handler(
                            chunk -> {
                                Buffer into = upload.parts.get(name);
                                if (into == null || upload.refusal != null) {
                                    return;
                                }
                                if (into.length() + (long) chunk.length() > limit) {
                                    upload.refuse(
                                            413,
                                            name.equals("image")
                                                    ? "the picture is larger than "
                                                            + settings.maxBytes()
                                                            + " bytes, the most this worker reads"
                                                            + " (image.maxBytes)"
                                                    : "the mask is larger than "
                                                            + limit
                                                            + " bytes");
                                    upload.parts.remove(name);
                                    if (chunked) {
                                        endAndClose(request, upload.status, upload.refusal);
                                    }
                                    return;
                                }
                                into.appendBuffer(chunk);
                            });
                });
        request.exceptionHandler(
                e -> {
                    if (!request.response().ended()) {
                        error(request, 400, "the upload broke off: " + e.getMessage());
                    }
                    if (!bodyDone.get()) {
                        release.run();
                    }
                });
        request.endHandler(
                v -> {
                    bodyDone.set(true);
                    if (request.response().ended()) {
                        release.run();
                        return;
                    }
                    if (upload.refusal != null) {
                        error(request, upload.status, upload.refusal);
                        release.run();
                        return;
                    }
                    accept(request, upload, request.getFormAttribute("options"))
                            .onComplete(ar -> release.run());
                });
    }

    /**
     * Checks a complete upload and, if it is acceptable, stores it and produces its job; completes
     * when the upload's bytes are no longer needed, whatever the answer.
     */
    private Future<Void> accept(HttpServerRequest request, Upload upload, String optionsText) {
        Buffer imagePart = upload.parts.get("image");
        Buffer maskPart = upload.parts.get("mask");
        if (imagePart == null || imagePart.length() == 0) {
            error(request, 400, "the image part is missing or empty: choose a picture");
            return Future.succeededFuture();
        }
        if (maskPart == null || maskPart.length() == 0) {
            error(request, 400, "the mask part is missing or empty: paint what to remove");
            return Future.succeededFuture();
        }
        byte[] image = imagePart.getBytes();
        byte[] mask = maskPart.getBytes();
        upload.parts.clear();
        return blocking.<PictureHeader[]>executeBlocking(
                        () ->
                                new PictureHeader[] {
                                    PictureHeader.read(image), PictureHeader.read(mask)
                                },
                        false)
                .compose(
                        headers -> accept(request, upload, optionsText, image, mask, headers),
                        e -> {
                            LOG.warn(
                                    "Console upload's headers could not be read: {}", e.toString());
                            error(
                                    request,
                                    500,
                                    "the console failed on this request; see the worker's log");
                            return Future.succeededFuture();
                        });
    }

    private Future<Void> accept(
            HttpServerRequest request,
            Upload upload,
            String optionsText,
            byte[] image,
            byte[] mask,
            PictureHeader[] headers) {
        PictureHeader picture = headers[0];
        if (picture == null) {
            error(
                    request,
                    415,
                    "the picture is not one the worker reads (" + PictureHeader.SUPPORTED + ")");
            return Future.succeededFuture();
        }
        if (picture.pixels() > settings.maxPixels()) {
            error(
                    request,
                    422,
                    "the picture is "
                            + picture.width()
                            + "x"
                            + picture.height()
                            + " ("
                            + picture.pixels()
                            + " pixels); this worker takes at most "
                            + settings.maxPixels()
                            + " (image.maxPixels)");
            return Future.succeededFuture();
        }
        PictureHeader maskHeader = headers[1];
        if (maskHeader == null || !maskHeader.format().equals("png")) {
            error(request, 415, "the mask must be a PNG (white = fill, black = keep)");
            return Future.succeededFuture();
        }
        if (maskHeader.pixels() > settings.maxPixels()) {
            error(
                    request,
                    422,
                    "the mask declares "
                            + maskHeader.pixels()
                            + " pixels; at most "
                            + settings.maxPixels()
                            + " (image.maxPixels)");
            return Future.succeededFuture();
        }
        String id = "console-" + HexFormat.of().formatHex(randomBytes(8));
        String folder = "console/" + id + "/";
        ObjectRef imageRef =
                new ObjectRef(settings.bucket(), folder + "image." + picture.extension());
        ObjectRef maskRef = new ObjectRef(settings.bucket(), folder + "mask.png");
        InpaintJob job;
        try {
            job = job(id, imageRef, maskRef, optionsText, picture);
        } catch (IllegalArgumentException e) {
            error(request, 400, e.getMessage());
            return Future.succeededFuture();
        }
        String fileName = upload.fileNames.get("image");
        JsonObject input =
                new JsonObject()
                        .put("name", fileName == null ? "" : fileName)
                        .put("format", picture.format())
                        .put("width", picture.width())
                        .put("height", picture.height())
                        .put("bytes", image.length);
        jobs.submitted(job, input, clock.getAsLong());
        return Future.all(
                        gateway.upload(imageRef, image, picture.contentType()),
                        gateway.upload(maskRef, mask, "image/png"))
                .compose(stored -> gateway.produce(job))
                .onSuccess(
                        produced -> {
                            LOG.info(
                                    "Console job {} submitted: {}x{} {}",
                                    id,
                                    picture.width(),
                                    picture.height(),
                                    picture.format());
                            json(
                                    request,
                                    202,
                                    new JsonObject()
                                            .put("jobId", id)
                                            .put("state", "queued")
                                            .put("statusUrl", "/api/jobs/" + id));
                        })
                .onFailure(
                        e -> {
                            jobs.withdrawn(id);
                            LOG.warn("Console job {} could not be submitted: {}", id, e.toString());
                            error(
                                    request,
                                    502,
                                    "the job could not be submitted: " + e.getMessage());
                        })
                .<Void>mapEmpty()
                .recover(e -> Future.succeededFuture());
    }

    /**
     * The v1 job for an upload: the page's options checked by the protocol's own codec, and the
     * output under {@code console/} with the extension of its format. The console always names the
     * format ({@code auto} resolved from the picture as the worker would resolve it), so that the
     * output's key, and with it everything the console causes to be written, is known before the
     * job runs.
     *
     * @throws IllegalArgumentException naming what is wrong with the options
     */
    InpaintJob job(
            String id, ObjectRef image, ObjectRef mask, String optionsText, PictureHeader picture) {
        JsonObject options;
        try {
            options =
                    optionsText == null || optionsText.isBlank()
                            ? new JsonObject()
                            : new JsonObject(optionsText);
        } catch (DecodeException | ClassCastException e) {
            throw new IllegalArgumentException(
                    "options must be a JSON object of v1 job options, e.g. {\"strategy\":\"crop\"}");
        }
        JobOptions given;
        try {
            JsonObject probe =
                    new JsonObject()
                            .put("version", InpaintJob.VERSION)
                            .put("jobId", id)
                            .put("image", ref(image))
                            .put("mask", ref(mask))
                            .put("options", options);
            given = JsonCodec.decodeJob(probe.toBuffer().getBytes()).options();
        } catch (ProtocolException e) {
            throw new IllegalArgumentException("invalid job options: " + e.getMessage());
        }
        String format = given.format() != null ? given.format() : settings.outputFormat();
        if (format.equals("auto")) {
            format = OutputSettings.autoFormat(picture.format());
        }
        JobOptions resolved =
                new JobOptions(
                        given.strategy(),
                        given.maskThreshold(),
                        given.maskDilatePx(),
                        given.fillHoles(),
                        given.resizeMask(),
                        format,
                        given.quality(),
                        given.stripMetadata(),
                        given.jpegPatch(),
                        given.force());
        ObjectRef output =
                new ObjectRef(
                        settings.bucket(),
                        settings.outputPrefix()
                                + "console/"
                                + id
                                + "/result."
                                + InpaintJob.extension(format));
        return new InpaintJob(
                InpaintJob.VERSION,
                id,
                image,
                mask,
                output,
                resolved,
                null,
                Map.of("source", "console"));
    }

    private static JsonObject ref(ObjectRef ref) {
        return new JsonObject().put("bucket", ref.bucket()).put("key", ref.key());
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /**
     * Takes one of a limited number of places, or answers 503: each place holds a picture in
     * memory.
     *
     * @param close whether to close the connection after a refusal, not reading the rest of the
     *     body (one of unknown length)
     */
    private static boolean take(
            AtomicInteger count, int max, HttpServerRequest request, String what, boolean close) {
        if (count.incrementAndGet() <= max) {
            return true;
        }
        count.decrementAndGet();
        request.response().putHeader("Retry-After", "1");
        String message =
                "this console has " + max + " " + what + " under way; try again in a moment";
        if (close) {
            endAndClose(request, 503, message);
        } else {
            error(request, 503, message);
        }
        return false;
    }

    /** Answers, then closes the connection: the rest of the request's body is not read. */
    private static void endAndClose(HttpServerRequest request, int status, String message) {
        if (request.response().ended()) {
            return;
        }
        request.response().putHeader(HttpHeaders.CONNECTION, "close");
        error(request, status, message);
        request.connection().close();
    }

    private void tooLarge(HttpServerRequest request, String what) {
        // The rest of the body is not read: the connection closes after the answer.
        endAndClose(
                request,
                413,
                "the upload is "
                        + what
                        + "; this console takes a picture of at most "
                        + settings.maxBytes()
                        + " bytes (image.maxBytes) and its mask, "
                        + bodyLimit()
                        + " bytes in all");
    }

    private static void json(HttpServerRequest request, int status, JsonObject body) {
        request.response()
                .setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=utf-8")
                .end(body.toBuffer());
    }

    private static void error(HttpServerRequest request, int status, String message) {
        if (request.response().ended()) {
            return;
        }
        json(request, status, new JsonObject().put("status", status).put("error", message));
    }

    /** A path or name as it may be echoed back: printable ASCII, at most 100 characters. */
    private static String printable(String text) {
        String clean = text.replaceAll("[^\\x20-\\x7e]", "?");
        return clean.length() > 100 ? clean.substring(0, 100) + "..." : clean;
    }

    /** Whether a host (a bind address or a request's Host) is this machine's loopback. */
    static boolean isLoopback(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        return h.equals("localhost")
                || h.equals("::1")
                || h.equals("[::1]")
                || (h.startsWith("127.") && IPV4.matcher(h).matches());
    }

    /**
     * Whether a request addressed to this host is answered. DNS rebinding needs a host name the
     * attacker controls, so IP literals are safe: bound to loopback, loopback names and addresses
     * only ({@code 127.0.0.1.example.com} is a name, not an address); bound wider, any IP address,
     * {@code localhost} and the configured host. Either way, the names configured in {@code
     * console.allowedHosts}, such as the public name a reverse proxy forwards.
     */
    static boolean hostAllowed(String host, String bindHost, java.util.Set<String> allowedHosts) {
        String h = host.toLowerCase(Locale.ROOT);
        if (allowedHosts.contains(h)) {
            return true;
        }
        if (isLoopback(bindHost)) {
            return isLoopback(host);
        }
        return isLoopback(h)
                || IPV4.matcher(h).matches()
                || h.contains(":") // only an IPv6 literal has colons in its host
                || h.equalsIgnoreCase(bindHost);
    }
}
