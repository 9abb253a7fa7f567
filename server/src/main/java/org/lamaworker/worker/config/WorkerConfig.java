package org.lamaworker.worker.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The worker's whole configuration, built once by {@link ConfigLoader} and passed down. Immutable;
 * secrets are held as {@link Secret} so printing a config never shows them.
 *
 * @param workerId this worker's name in events and logs
 * @param maxInFlight jobs worked on at once before the consumer pauses its partitions
 * @param kafka broker, group and topics
 * @param storage the S3 endpoint and credentials
 * @param model which model to load
 * @param inference runtime settings of the model
 * @param image limits and defaults of image handling
 * @param delivery retries, backoff and shutdown grace
 * @param management health, metrics and log format
 * @param console the browser console: whether it runs, and where
 * @param pools the sizes of the storage and pipeline thread pools
 * @param embeddedDir where the embedded development servers keep their data
 */
public record WorkerConfig(
        String workerId,
        int maxInFlight,
        Kafka kafka,
        Storage storage,
        Model model,
        Inference inference,
        Image image,
        Delivery delivery,
        Management management,
        Console console,
        Pools pools,
        Path embeddedDir) {

    /** Validates cross-field rules. */
    public WorkerConfig {
        Objects.requireNonNull(workerId, "workerId");
        if (maxInFlight < 1) {
            throw new ConfigException("worker.maxInFlight must be >= 1, got " + maxInFlight);
        }
        Objects.requireNonNull(kafka, "kafka");
        Objects.requireNonNull(storage, "storage");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(inference, "inference");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(delivery, "delivery");
        Objects.requireNonNull(management, "management");
        Objects.requireNonNull(console, "console");
        Objects.requireNonNull(pools, "pools");
        Objects.requireNonNull(embeddedDir, "embeddedDir");
        if (console.enabled() == Console.Enabled.ON && !storage.bucketAllowed(storage.bucket())) {
            throw new ConfigException(
                    "the console writes to s3.bucket "
                            + storage.bucket()
                            + ", which storage.allowedBuckets does not allow: add it, or set"
                            + " console.enabled=false");
        }
        if (kafka.configured() != storage.configured()) {
            throw new ConfigException(
                    (kafka.configured() ? "kafka.bootstrap.servers" : "s3.endpoint")
                            + " is set but "
                            + (kafka.configured() ? "s3.endpoint" : "kafka.bootstrap.servers")
                            + " is not: configure both, or neither to run the embedded development"
                            + " servers");
        }
    }

    /** True when neither Kafka nor S3 is configured and the embedded servers should start. */
    public boolean embedded() {
        return !kafka.configured();
    }

    /**
     * Whether {@code run} serves the browser console: as {@code console.enabled} says, and for
     * {@code auto} only on the embedded development servers, where everything is this machine's,
     * and only if jobs may use {@code s3.bucket}, where it writes.
     */
    public boolean consoleEnabled() {
        return switch (console.enabled()) {
            case AUTO -> embedded() && storage.bucketAllowed(storage.bucket());
            case ON -> true;
            case OFF -> false;
        };
    }

    /** A copy pointing at the given broker and S3 endpoint, e.g. the embedded ones. */
    public WorkerConfig withServers(
            String bootstrapServers, URI s3Endpoint, String accessKey, Secret secretKey) {
        return with(
                workerId,
                kafka.withBootstrapServers(bootstrapServers),
                new Storage(
                        s3Endpoint,
                        storage.region(),
                        accessKey,
                        secretKey,
                        storage.bucket(),
                        storage.caFile(),
                        storage.allowedBuckets(),
                        storage.outputPrefix()),
                model);
    }

    /** A copy with these parts replaced and the rest kept. */
    private WorkerConfig with(String id, Kafka kafka, Storage storage, Model model) {
        return new WorkerConfig(
                id,
                maxInFlight,
                kafka,
                storage,
                model,
                inference,
                image,
                delivery,
                management,
                console,
                pools,
                embeddedDir);
    }

    /**
     * The worker's bounded thread pools besides the event loop and the inference runners.
     *
     * @param storageThreads blocking storage work ({@code worker.storageThreads})
     * @param pipelineThreads the CPU stages of jobs ({@code worker.pipelineThreads})
     */
    public record Pools(int storageThreads, int pipelineThreads) {
        /** Validates ranges. */
        public Pools {
            if (storageThreads < 1 || storageThreads > 256) {
                throw new ConfigException(
                        "worker.storageThreads must be 1-256, got " + storageThreads);
            }
            if (pipelineThreads < 1 || pipelineThreads > 256) {
                throw new ConfigException(
                        "worker.pipelineThreads must be 1-256, got " + pipelineThreads);
            }
        }
    }

    /**
     * Kafka settings.
     *
     * @param bootstrapServers {@code host:port,...}, or {@code null} when not configured
     * @param groupId the consumer group shared by all workers of a fleet
     * @param lanes the topics jobs are read from, with their weights ({@code topics.jobs}); one
     *     lane is a single topic as before
     * @param resultsTopic topic results are written to
     * @param eventsTopic topic latency events are written to
     * @param deadLetterTopic topic records that cannot be read as jobs are copied to
     * @param attemptsTopic compacted topic where job starts are recorded fleet-wide, or {@code
     *     null} when starts are not recorded ({@code topics.attempts=none})
     * @param clientProperties every other {@code kafka.*} key, without the prefix, passed to the
     *     clients as is (TLS, SASL, timeouts)
     */
    public record Kafka(
            String bootstrapServers,
            String groupId,
            List<Lane> lanes,
            String resultsTopic,
            String eventsTopic,
            String deadLetterTopic,
            String attemptsTopic,
            Map<String, String> clientProperties) {
        /** Copies the pass-through map and the lanes; at least one lane, each topic once. */
        public Kafka {
            lanes = List.copyOf(lanes);
            if (lanes.isEmpty()) {
                throw new ConfigException("topics.jobs must name at least one topic");
            }
            if (lanes.stream().map(Lane::topic).distinct().count() != lanes.size()) {
                throw new ConfigException("topics.jobs names a topic twice: " + lanes);
            }
            // A jobs topic that is also written to by the worker would feed its own output back
            // to it: a FAILED result or a dead-lettered record read as a job fails again, forever.
            Map<String, String> written = new java.util.LinkedHashMap<>();
            written.put("topics.results", resultsTopic);
            written.put("topics.events", eventsTopic);
            written.put("topics.deadLetter", deadLetterTopic);
            written.put("topics.attempts", attemptsTopic);
            for (Lane lane : lanes) {
                for (Map.Entry<String, String> other : written.entrySet()) {
                    if (lane.topic().equals(other.getValue())) {
                        throw new ConfigException(
                                "topics.jobs and "
                                        + other.getKey()
                                        + " both name "
                                        + lane.topic()
                                        + ": the worker would read what it writes there as jobs;"
                                        + " give "
                                        + other.getKey()
                                        + " a topic of its own");
                    }
                }
            }
            clientProperties = Map.copyOf(clientProperties);
        }

        /**
         * The first lane's topic: the only one when there is one lane, and the topic of tools that
         * write to one topic (the bench's warm-up jobs).
         */
        public String jobsTopic() {
            return lanes.get(0).topic();
        }

        /** Whether a broker was configured. */
        public boolean configured() {
            return bootstrapServers != null;
        }

        Kafka withBootstrapServers(String servers) {
            return new Kafka(
                    servers,
                    groupId,
                    lanes,
                    resultsTopic,
                    eventsTopic,
                    deadLetterTopic,
                    attemptsTopic,
                    clientProperties);
        }

        @Override
        public String toString() {
            // Pass-through keys may hold SASL passwords or key-store passwords: print names only.
            return "Kafka[bootstrapServers="
                    + bootstrapServers
                    + ", groupId="
                    + groupId
                    + ", topics="
                    + lanes.stream().map(Lane::toString).collect(Collectors.joining(","))
                    + "/"
                    + resultsTopic
                    + "/"
                    + eventsTopic
                    + "/"
                    + deadLetterTopic
                    + ", attempts="
                    + attemptsTopic
                    + ", clientProperties="
                    + clientProperties.keySet()
                    + "]";
        }
    }

    /**
     * S3 settings.
     *
     * @param endpoint e.g. {@code http://minio:9000}, or {@code null} when not configured
     * @param region the region to sign requests for
     * @param accessKey access key id
     * @param secretKey secret access key
     * @param bucket the bucket the embedded mode creates and {@code submit} uploads to by default
     * @param caFile PEM certificates to trust for an HTTPS endpoint, in place of the JDK's, or
     *     {@code null}
     * @param allowedBuckets the buckets jobs may read and write; empty means any
     * @param outputPrefix every output key must start with it; empty means any key
     */
    public record Storage(
            URI endpoint,
            String region,
            String accessKey,
            Secret secretKey,
            String bucket,
            Path caFile,
            Set<String> allowedBuckets,
            String outputPrefix) {
        /** Copies the allow-list. */
        public Storage {
            allowedBuckets = Set.copyOf(allowedBuckets);
            Objects.requireNonNull(outputPrefix, "outputPrefix");
            if (outputPrefix.contains("..") || outputPrefix.startsWith("/")) {
                throw new ConfigException(
                        "storage.outputPrefix must not start with / or contain .., got "
                                + outputPrefix);
            }
        }

        /** Whether jobs may use this bucket. */
        public boolean bucketAllowed(String name) {
            return allowedBuckets.isEmpty() || allowedBuckets.contains(name);
        }

        /** Whether an endpoint was configured. */
        public boolean configured() {
            return endpoint != null;
        }
    }

    /**
     * Model settings.
     *
     * @param path an ONNX file with one of the LaMa contracts, or {@code null} for the built-in
     *     reference fill model (or until {@code remote} is fetched)
     * @param contract the contract to assume, or {@code null} to detect it
     * @param outputScale the output's full-intensity value (1 or 255), or {@code null} to probe it
     * @param remote where to fetch the model at start-up into {@code cacheDir} ({@code
     *     s3://bucket/key}, or an {@code https://} URL, also a catalogue entry's), or {@code null}
     * @param sha256 the model file's expected SHA-256 (hex), or {@code null} not to check (files
     *     and S3 only: a URL needs one)
     * @param cacheDir where downloaded models are kept, by checksum, across restarts
     * @param catalog the models known by name ({@code model list})
     * @param entry the catalogue entry {@code model.path} named, or {@code null}
     * @param mirror {@code s3://bucket/prefix} or an {@code https://} base tried before {@code
     *     remote}'s host, by file name, or {@code null}
     * @param allowInsecureHttp whether {@code http://} sources other than loopback are accepted
     * @param proxy the HTTPS proxy for downloads, or {@code null} for the JVM's settings
     * @param noProxy hosts reached without {@code proxy}: a name matches itself and its sub-domains
     *     ({@code example.com} covers {@code models.example.com}); {@code *} all
     */
    public record Model(
            Path path,
            ModelContract contract,
            Float outputScale,
            String remote,
            String sha256,
            Path cacheDir,
            ModelCatalog catalog,
            ModelCatalog.Entry entry,
            String mirror,
            boolean allowInsecureHttp,
            URI proxy,
            java.util.List<String> noProxy) {
        /** Validates the sources and the checksum. */
        public Model {
            noProxy = noProxy == null ? java.util.List.of() : java.util.List.copyOf(noProxy);
            if (sha256 != null && !sha256.matches("[0-9a-f]{64}")) {
                throw new ConfigException("model.sha256 must be 64 lower-case hex digits");
            }
            if (entry != null) {
                if (sha256 != null && !sha256.equals(entry.sha256())) {
                    throw new ConfigException(
                            "model.sha256 "
                                    + sha256
                                    + " differs from the catalogue's pin for "
                                    + entry.name()
                                    + " ("
                                    + entry.sha256()
                                    + "): leave model.sha256 empty for a catalogue name");
                }
                sha256 = entry.sha256();
                remote = entry.url().toString();
            }
            if (remote != null) {
                if (isHttp(remote)) {
                    checkHttp(remote, "model.path", allowInsecureHttp);

                    if (sha256 == null) {
                        throw new ConfigException(
                                "model.sha256 is required for a model downloaded from "
                                        + printable(remote)
                                        + ": a download is used only once its checksum matches");
                    }
                } else if (!remote.matches("s3://[^/]+/.+")) {
                    throw new ConfigException(
                            "model.path "
                                    + printable(remote)
                                    + " is not of the form s3://bucket/key or https://host/path");
                }
                if (entry == null && !ModelCatalog.isFileName(lastSegment(remote))) {
                    throw new ConfigException(
                            "model.path "
                                    + printable(remote)
                                    + " must end in a file name (letters, digits, . _ -), which"
                                    + " the model keeps in model.cacheDir");
                }
            }
            if (mirror != null) {
                if (isHttp(mirror)) {
                    checkHttp(mirror, "model.mirror", allowInsecureHttp);
                } else if (!mirror.matches("s3://[^/]+(/.*)?")) {
                    throw new ConfigException(
                            "model.mirror must be s3://bucket/prefix or https://host/path, got "
                                    + printable(mirror));
                }
                if (remote == null || remote.startsWith("s3://")) {
                    throw new ConfigException(
                            "model.mirror applies to a catalogue name or an https:// model.path");
                }
            }
        }

        /** The same settings with the model at a local file (the fetched remote one). */
        public Model atLocalFile(Path file) {
            return new Model(
                    file,
                    contract,
                    outputScale,
                    null,
                    sha256,
                    cacheDir,
                    catalog,
                    null,
                    null,
                    allowInsecureHttp,
                    proxy,
                    noProxy);
        }

        /** The file's size when the catalogue pins it, else -1. */
        public long expectedBytes() {
            return entry != null ? entry.bytes() : -1;
        }

        /** The name the fetched file gets in the cache and has on a mirror. */
        public String fileName() {
            return entry != null ? entry.file() : lastSegment(remote);
        }

        private static String lastSegment(String location) {
            String p = location.startsWith("s3://") ? location : URI.create(location).getPath();
            return p.substring(p.lastIndexOf('/') + 1);
        }

        /** Whether {@code location} is an http or https URL. */
        public static boolean isHttp(String location) {
            return location.startsWith("https://") || location.startsWith("http://");
        }

        /**
         * A URL as it may be printed: scheme, host, port and path, without user information or a
         * query string that could carry a token.
         */
        public static String printable(String location) {
            if (!isHttp(location)) {
                return location;
            }
            try {
                URI uri = URI.create(location);
                return uri.getScheme()
                        + "://"
                        + uri.getHost()
                        + (uri.getPort() >= 0 ? ":" + uri.getPort() : "")
                        + (uri.getRawPath() == null ? "" : uri.getRawPath());
            } catch (IllegalArgumentException e) {
                return "(an unparsable URL)";
            }
        }

        private static void checkHttp(String location, String key, boolean allowInsecure) {
            URI uri;
            try {
                uri = URI.create(location);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(key + " is not a valid URL: " + printable(location));
            }
            if (uri.getHost() == null || uri.getPath() == null || uri.getPath().isEmpty()) {
                throw new ConfigException(
                        key + " must name a host and a path: " + printable(location));
            }
            if ("http".equals(uri.getScheme()) && !allowInsecure && !isLoopback(uri.getHost())) {
                throw new ConfigException(
                        key
                                + " "
                                + printable(location)
                                + " is plain http to a host other than this machine; use https,"
                                + " or set model.allowInsecureHttp=true on a network you trust");
            }
        }

        /** Whether a host name is this machine: 127.0.0.0/8, ::1 or localhost. */
        public static boolean isLoopback(String host) {
            return host.equals("localhost")
                    || host.equals("[::1]")
                    || host.equals("::1")
                    || host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
        }
    }

    /** A copy with another worker id (several workers in one process, as in the bench). */
    public WorkerConfig withWorkerId(String id) {
        return with(id, kafka, storage, model);
    }

    /** A copy whose model is the given local file. */
    public WorkerConfig withModelFile(Path file) {
        return with(workerId, kafka, storage, model.atLocalFile(file));
    }

    /**
     * Inference runtime settings.
     *
     * @param sessions model sessions per device, each with its own copy of the weights
     * @param runners dedicated inference threads, each running one model run at a time, spread
     *     round-robin over the sessions (ONNX Runtime lets several threads run one session at once)
     * @param threads ONNX Runtime intra-op threads per session; 0 means the session's share of the
     *     available processors, less one for each further runner that shares it
     * @param maxPixels most pixels a model with dynamic height and width gets in one tile; larger
     *     regions are scaled down and the fill scaled back up
     * @param maxBatch most tiles of one size run together, for models with a batch axis
     * @param maxBatchDelayMillis how long a run waits for other jobs' tiles of its size
     * @param defaultStrategy the resolution strategy of jobs that name none
     * @param cropMarginPx context added around each part of the mask by {@code crop}
     * @param cropMergeGapPx {@code crop} regions closer than this are merged
     * @param memoryBudget what the jobs in flight may take together: bytes, or a percentage of the
     *     device's memory resolved when the worker starts
     * @param allowSpinning whether idle intra-op threads spin
     * @param device where the model runs
     * @param cpuArena whether ONNX Runtime reuses CPU buffers across runs
     */
    public record Inference(
            int sessions,
            int runners,
            int threads,
            long maxPixels,
            int maxBatch,
            long maxBatchDelayMillis,
            Strategy defaultStrategy,
            int cropMarginPx,
            int cropMergeGapPx,
            MemoryBudgetSetting memoryBudget,
            boolean allowSpinning,
            Device device,
            boolean cpuArena) {
        /** Validates ranges. */
        public Inference {
            if (sessions < 1 || sessions > 64) {
                throw new ConfigException("inference.sessions must be 1-64, got " + sessions);
            }
            if (runners < sessions || runners > 256) {
                throw new ConfigException(
                        "inference.runners must be at least inference.sessions ("
                                + sessions
                                + ", so that every session has a thread to run it) and at most"
                                + " 256, got "
                                + runners);
            }
            if (threads < 0) {
                throw new ConfigException("inference.threads must be >= 0, got " + threads);
            }
            if (maxPixels < 64L * 64L) {
                throw new ConfigException("inference.maxPixels must be >= 4096, got " + maxPixels);
            }
            if (maxBatch < 1) {
                throw new ConfigException("inference.maxBatch must be >= 1, got " + maxBatch);
            }
            java.util.Objects.requireNonNull(memoryBudget, "memoryBudget");
            if (cropMarginPx < 0 || cropMergeGapPx < 0) {
                throw new ConfigException("crop.marginPx and crop.mergeGapPx must be >= 0");
            }
        }
    }

    /**
     * Image and mask handling.
     *
     * @param maxPixels pictures declaring more pixels are refused before decoding
     * @param maxBytes objects larger than this are refused before download
     * @param maskThreshold default mask binarisation threshold (1-255)
     * @param jpegQuality quality (1-100) of lossy output when neither the job nor the input gives
     *     one (a PNG written as JPEG, say)
     * @param outputFormat output format when a job names none: {@code auto} (the input's own),
     *     {@code png}, {@code jpeg} or {@code webp}
     * @param stripMetadata whether EXIF and XMP are dropped from outputs when a job does not say
     * @param maskDilatePx default growth of the mask, in pixels (0-64)
     * @param fillHoles whether enclosed holes of a mask are filled by default
     * @param seamPx width of the feathered seam outside the mask where model output blends in
     * @param maskMaxParts masks with more separate parts are refused
     */
    public record Image(
            long maxPixels,
            long maxBytes,
            int maskThreshold,
            int jpegQuality,
            int maskDilatePx,
            boolean fillHoles,
            int seamPx,
            int maskMaxParts,
            String outputFormat,
            boolean stripMetadata) {
        /** The most {@code image.maxPixels} may be: four 16-bit samples a pixel in one array. */
        public static final long MAX_PIXELS = Integer.MAX_VALUE / 4;

        /** The values {@code output.format} takes. */
        public static final Set<String> OUTPUT_FORMATS = Set.of("auto", "png", "jpeg", "webp");

        /** Validates ranges. */
        public Image {
            if (!OUTPUT_FORMATS.contains(outputFormat)) {
                throw new ConfigException(
                        "output.format must be auto, png, jpeg or webp, got " + outputFormat);
            }
            if (maxPixels < 1 || maxBytes < 1) {
                throw new ConfigException("image.maxPixels and image.maxBytes must be >= 1");
            }
            if (maxPixels > MAX_PIXELS) {
                throw new ConfigException(
                        "image.maxPixels must be at most "
                                + MAX_PIXELS
                                + " (a 16-bit picture's samples must fit one Java array), got "
                                + maxPixels);
            }
            if (maskThreshold < 1 || maskThreshold > 255) {
                throw new ConfigException("mask.threshold must be 1-255, got " + maskThreshold);
            }
            if (jpegQuality < 1 || jpegQuality > 100) {
                throw new ConfigException("output.jpegQuality must be 1-100, got " + jpegQuality);
            }
            if (maskDilatePx < 0 || maskDilatePx > 64) {
                throw new ConfigException("mask.dilatePx must be 0-64, got " + maskDilatePx);
            }
            if (seamPx < 0 || seamPx > 16) {
                throw new ConfigException("mask.seamPx must be 0-16, got " + seamPx);
            }
            if (maskMaxParts < 1) {
                throw new ConfigException("mask.maxParts must be >= 1, got " + maskMaxParts);
            }
        }
    }

    /**
     * The management port and log format.
     *
     * @param host address the management HTTP server binds
     * @param port its port; 0 for a free one, -1 for none
     * @param jsonLogs whether log lines are JSON objects (one per line) instead of text
     */
    public record Management(String host, int port, boolean jsonLogs) {
        /** Validates ranges. */
        public Management {
            if (port < -1 || port > 65535) {
                throw new ConfigException("management.port must be -1 to 65535, got " + port);
            }
        }
    }

    /**
     * The browser console ({@code console.*}): a page and a small JSON API that submit real jobs
     * through S3 and Kafka and show the fleet.
     *
     * @param enabled whether it runs: always, never, or only on the embedded development servers
     * @param host address it binds; loopback unless configured otherwise
     * @param port its port; 0 for a free one
     * @param maxJobs how many of its own jobs it remembers, the oldest forgotten first
     * @param allowedHosts host names, lower case, requests may be addressed to besides IP
     *     addresses, {@code localhost} and {@code host} (a reverse proxy's public name)
     */
    public record Console(
            Enabled enabled, String host, int port, int maxJobs, Set<String> allowedHosts) {
        /** The values of {@code console.enabled}. */
        public enum Enabled {
            /** On with the embedded development servers, off against configured Kafka and S3. */
            AUTO,
            /** On. */
            ON,
            /** Off. */
            OFF
        }

        /** Validates ranges. */
        public Console {
            Objects.requireNonNull(enabled, "enabled");
            if (host == null || host.isBlank()) {
                throw new ConfigException("console.host must name an address, e.g. 127.0.0.1");
            }
            if (port < 0 || port > 65535) {
                throw new ConfigException("console.port must be 0 to 65535, got " + port);
            }
            if (maxJobs < 1 || maxJobs > 1_000_000) {
                throw new ConfigException("console.maxJobs must be 1-1000000, got " + maxJobs);
            }
            java.util.Set<String> names = new java.util.TreeSet<>();
            for (String name : allowedHosts) {
                if (!name.matches("[A-Za-z0-9.-]{1,253}")) {
                    throw new ConfigException(
                            "console.allowedHosts: '"
                                    + name
                                    + "' is not a host name (letters, digits, . and -, no port)");
                }
                names.add(name.toLowerCase(java.util.Locale.ROOT));
            }
            allowedHosts = Set.copyOf(names);
        }
    }

    /**
     * Retries and shutdown.
     *
     * @param retryMaxAttempts most attempts of one storage call that failed for a retryable reason
     * @param retryInitialBackoffMillis wait before the second attempt; doubled before each next one
     * @param retryMaxBackoffMillis longest wait between two attempts
     * @param shutdownGraceMillis how long a stopping worker lets jobs in flight finish
     * @param maxCrashes how many starts of one job may end with their worker dying before the next
     *     worker fails the job instead of running it
     */
    public record Delivery(
            int retryMaxAttempts,
            long retryInitialBackoffMillis,
            long retryMaxBackoffMillis,
            long shutdownGraceMillis,
            int maxCrashes) {
        /** Validates ranges. */
        public Delivery {
            if (maxCrashes < 1) {
                throw new ConfigException("delivery.maxCrashes must be >= 1, got " + maxCrashes);
            }
            if (retryMaxAttempts < 1) {
                throw new ConfigException(
                        "retry.maxAttempts must be >= 1, got " + retryMaxAttempts);
            }
            if (retryInitialBackoffMillis < 1
                    || retryMaxBackoffMillis < retryInitialBackoffMillis) {
                throw new ConfigException(
                        "retry.initialBackoff must be >= 1 and retry.maxBackoff >= it");
            }
            if (shutdownGraceMillis < 0) {
                throw new ConfigException(
                        "shutdown.grace must be >= 0, got " + shutdownGraceMillis);
            }
        }

        /**
         * The wait after {@code failures} failed attempts (1 or more): {@code retry.initialBackoff}
         * doubled per further failure, at most {@code retry.maxBackoff}.
         */
        public long backoffMillis(int failures) {
            int doublings = Math.min(30, Math.max(0, failures - 1));
            return Math.min(retryMaxBackoffMillis, retryInitialBackoffMillis << doublings);
        }
    }
}
