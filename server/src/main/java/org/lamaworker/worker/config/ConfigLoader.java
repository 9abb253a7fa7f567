package org.lamaworker.worker.config;

import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Builds the {@link WorkerConfig}: defaults, then an optional properties file, then {@code LAMA_*}
 * environment variables, then command-line overrides, each laid over the one before. The only place
 * that reads the environment.
 */
public final class ConfigLoader {
    private static final String KAFKA_PREFIX = "kafka.";

    private ConfigLoader() {}

    /** Loads from the process environment. */
    public static WorkerConfig load(Path propertiesFile, Map<String, String> overrides) {
        return load(propertiesFile, System.getenv(), overrides);
    }

    /**
     * The defaults with {@code overrides} laid over, for a command that sets up its own servers
     * ({@code bench}): {@code LAMA_*} variables are not read, {@code CUDA_VISIBLE_DEVICES} is.
     */
    public static WorkerConfig loadDefaults(Map<String, String> overrides) {
        Map<String, String> environment = new HashMap<>(System.getenv());
        environment.keySet().removeIf(name -> name.startsWith("LAMA_"));
        return load(null, environment, overrides);
    }

    /**
     * Loads from the process environment and an optional file, with {@code --model} laid over.
     *
     * @param model a model file named on the command line, or {@code null}
     */
    public static WorkerConfig loadWithModel(Path propertiesFile, String model) {
        return load(propertiesFile, model == null ? Map.of() : Map.of("model.path", model));
    }

    /**
     * Loads from the given sources.
     *
     * @param propertiesFile a properties file, or {@code null}
     * @param environment environment variables; {@code LAMA_*} ones are read as keys, and {@code
     *     CUDA_VISIBLE_DEVICES} to find a GPU under nvidia-smi's numbering
     * @param overrides keys set on the command line
     */
    public static WorkerConfig load(
            Path propertiesFile, Map<String, String> environment, Map<String, String> overrides) {
        Map<String, String> values = new TreeMap<>(ConfigKeys.DEFAULTS);
        if (propertiesFile != null) {
            values.putAll(readProperties(propertiesFile));
        }
        values.putAll(fromEnvironment(environment));
        values.putAll(overrides);
        return build(values, environment);
    }

    private static Map<String, String> readProperties(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new ConfigException(
                    "cannot read configuration file " + file + ": " + e.getMessage());
        }
        Map<String, String> values = new HashMap<>();
        for (String name : properties.stringPropertyNames()) {
            String key = name.trim();
            if (!ConfigKeys.DEFAULTS.containsKey(key) && !key.startsWith(KAFKA_PREFIX)) {
                throw new ConfigException(
                        "unknown configuration key '"
                                + key
                                + "' in "
                                + file
                                + "; see deploy/lama-worker.properties for the keys");
            }
            values.put(key, properties.getProperty(name).trim());
        }
        return values;
    }

    /** Maps {@code LAMA_*} variables to keys; unknown {@code LAMA_KAFKA_*} ones pass through. */
    static Map<String, String> fromEnvironment(Map<String, String> environment) {
        Map<String, String> byEnvironmentName = new HashMap<>();
        for (String key : ConfigKeys.DEFAULTS.keySet()) {
            byEnvironmentName.put(ConfigKeys.environmentName(key), key);
        }
        Map<String, String> values = new HashMap<>();
        environment.forEach(
                (name, value) -> {
                    String key = byEnvironmentName.get(name);
                    if (key == null && name.startsWith("LAMA_KAFKA_")) {
                        key =
                                KAFKA_PREFIX
                                        + name.substring("LAMA_KAFKA_".length())
                                                .toLowerCase(Locale.ROOT)
                                                .replace('_', '.');
                    }
                    if (key != null) {
                        values.put(key, value.trim());
                    }
                });
        return values;
    }

    private static WorkerConfig build(Map<String, String> v, Map<String, String> environment) {
        List<String> visibleDevices = visibleDevices(environment.get("CUDA_VISIBLE_DEVICES"));
        Map<String, String> clientProperties = new TreeMap<>();
        v.forEach(
                (key, value) -> {
                    if (key.startsWith(KAFKA_PREFIX)
                            && !key.equals("kafka.bootstrap.servers")
                            && !key.equals("kafka.group.id")) {
                        clientProperties.put(key.substring(KAFKA_PREFIX.length()), value);
                    }
                });
        WorkerConfig.Kafka kafka =
                new WorkerConfig.Kafka(
                        blankToNull(v.get("kafka.bootstrap.servers")),
                        required(v, "kafka.group.id"),
                        Lane.parseAll(v.get("topics.jobs")),
                        required(v, "topics.results"),
                        required(v, "topics.events"),
                        required(v, "topics.deadLetter"),
                        attemptsTopic(v),
                        clientProperties);
        URI endpoint = endpoint(blankToNull(v.get("s3.endpoint")));
        String accessKey = blankToNull(v.get("s3.accessKey"));
        String secretKey = blankToNull(v.get("s3.secretKey"));
        String secretKeyFile = blankToNull(v.get("s3.secretKeyFile"));
        if (secretKey == null && secretKeyFile != null) {
            secretKey = readSecret(Path.of(secretKeyFile));
        }
        String caFile = blankToNull(v.get("s3.caFile"));
        if (endpoint != null && (accessKey == null) != (secretKey == null)) {
            throw new ConfigException(
                    "set both s3.accessKey and s3.secretKey (LAMA_S3_ACCESS_KEY, LAMA_S3_SECRET_KEY"
                            + " or s3.secretKeyFile), or neither to use the standard AWS and MinIO"
                            + " credential sources");
        }
        WorkerConfig.Storage storage =
                new WorkerConfig.Storage(
                        endpoint,
                        required(v, "s3.region"),
                        accessKey,
                        secretKey == null ? null : Secret.of(secretKey),
                        required(v, "s3.bucket"),
                        caFile == null ? null : Path.of(caFile),
                        list(v.get("storage.allowedBuckets")),
                        v.getOrDefault("storage.outputPrefix", "").trim());
        int sessions = integer(v, "inference.sessions");
        int runners = runners(v, sessions);
        int maxBatch = maxBatch(v);
        return new WorkerConfig(
                workerId(blankToNull(v.get("worker.id"))),
                maxInFlight(v, runners, maxBatch),
                kafka,
                storage,
                model(v, environment),
                new WorkerConfig.Inference(
                        sessions,
                        runners,
                        integer(v, "inference.threads"),
                        longValue(v, "inference.maxPixels"),
                        maxBatch,
                        longValue(v, "inference.maxBatchDelay"),
                        strategy(v),
                        integer(v, "crop.marginPx"),
                        integer(v, "crop.mergeGapPx"),
                        MemoryBudgetSetting.parse(required(v, "inference.memoryBudget")),
                        bool(v, "inference.allowSpinning"),
                        device(v, visibleDevices),
                        bool(v, "inference.cpuArena")),
                new WorkerConfig.Image(
                        longValue(v, "image.maxPixels"),
                        longValue(v, "image.maxBytes"),
                        integer(v, "mask.threshold"),
                        integer(v, "output.jpegQuality"),
                        integer(v, "mask.dilatePx"),
                        bool(v, "mask.fillHoles"),
                        integer(v, "mask.seamPx"),
                        integer(v, "mask.maxParts"),
                        outputFormat(required(v, "output.format")),
                        bool(v, "output.stripMetadata")),
                new WorkerConfig.Delivery(
                        integer(v, "retry.maxAttempts"),
                        longValue(v, "retry.initialBackoff"),
                        longValue(v, "retry.maxBackoff"),
                        longValue(v, "shutdown.grace"),
                        integer(v, "delivery.maxCrashes")),
                new WorkerConfig.Management(
                        required(v, "management.host"),
                        integer(v, "management.port"),
                        logFormat(v)),
                new WorkerConfig.Console(
                        consoleEnabled(v),
                        required(v, "console.host"),
                        integer(v, "console.port"),
                        integer(v, "console.maxJobs"),
                        list(v.get("console.allowedHosts"))),
                new WorkerConfig.Pools(integer(v, "worker.storageThreads"), pipelineThreads(v)),
                Path.of(required(v, "embedded.dir")));
    }

    /**
     * {@code topics.attempts}: {@code auto} names it after the (first) jobs topic, so that fleets
     * reading different jobs topics keep separate records; {@code none} records no starts.
     */
    private static String attemptsTopic(Map<String, String> values) {
        String value = required(values, "topics.attempts");
        if (value.equalsIgnoreCase("none")) {
            return null;
        }
        if (value.equalsIgnoreCase("auto")) {
            String firstLane = required(values, "topics.jobs").split(",", -1)[0];
            int weight = firstLane.indexOf(':');
            return (weight < 0 ? firstLane : firstLane.substring(0, weight)).trim() + ".attempts";
        }
        return value;
    }

    private static WorkerConfig.Console.Enabled consoleEnabled(Map<String, String> values) {
        String value = required(values, "console.enabled");
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "auto" -> WorkerConfig.Console.Enabled.AUTO;
            case "true" -> WorkerConfig.Console.Enabled.ON;
            case "false" -> WorkerConfig.Console.Enabled.OFF;
            default ->
                    throw new ConfigException(
                            "console.enabled must be auto, true or false, got '" + value + "'");
        };
    }

    private static ModelContract contract(Map<String, String> values) {
        String value = required(values, "model.contract");
        if (value.equalsIgnoreCase("auto")) {
            return null;
        }
        try {
            return ModelContract.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(
                    "model.contract must be auto, a, b or c, got '" + value + "'");
        }
    }

    private static Float outputScale(Map<String, String> values) {
        String value = required(values, "model.outputScale");
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "auto" -> null;
            case "1" -> 1f;
            case "255" -> 255f;
            default ->
                    throw new ConfigException(
                            "model.outputScale must be auto, 1 or 255, got '" + value + "'");
        };
    }

    private static Strategy strategy(Map<String, String> values) {
        String value = required(values, "strategy.default");
        try {
            return Strategy.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(
                    "strategy.default must be auto, crop, resize or original, got '" + value + "'");
        }
    }

    /**
     * {@code auto}: one job more than the runners can run at once ({@code runners x maxBatch}), so
     * that while a job is downloaded, decoded or encoded every runner still has a run to do.
     */
    private static int maxInFlight(Map<String, String> values, int runners, int maxBatch) {
        if (required(values, "worker.maxInFlight").equalsIgnoreCase("auto")) {
            return runners * maxBatch + 1;
        }
        return integer(values, "worker.maxInFlight");
    }

    private static int runners(Map<String, String> values, int sessions) {
        if (required(values, "inference.runners").equalsIgnoreCase("auto")) {
            return autoRunners(
                    device(values, List.of()).gpu(),
                    sessions,
                    Runtime.getRuntime().availableProcessors());
        }
        return integer(values, "inference.runners");
    }

    /**
     * {@code inference.runners=auto}. On the CPU two runs side by side, each on its own share of
     * the cores, finish more jobs than one run on all of them, whose threads wait on each other at
     * every operator whenever decoding or encoding takes a core (BENCHMARKS.md); on a GPU, one per
     * session until concurrent runs on one device are measured.
     */
    static int autoRunners(boolean gpu, int sessions, int processors) {
        return gpu ? sessions : Math.max(sessions, Math.min(2, processors));
    }

    /**
     * Batches pay on a GPU; on the CPU a batch of n runs slower than n single runs (BENCHMARKS.md),
     * so {@code auto} means 4 on a GPU and 1 on the CPU.
     */
    private static int maxBatch(Map<String, String> values) {
        if (required(values, "inference.maxBatch").equalsIgnoreCase("auto")) {
            return device(values, List.of()).gpu() ? 4 : 1;
        }
        return integer(values, "inference.maxBatch");
    }

    /** {@code model.path} naming the built-in reference fill model (not LaMa). */
    public static final String REFERENCE_FILL = "reference";

    /**
     * {@code model.path} read as a catalogue name ({@code lama}), a URL or {@code s3://} location
     * fetched at start-up, or a file.
     */
    private static WorkerConfig.Model model(
            Map<String, String> v, Map<String, String> environment) {
        String given = blankToNull(v.get("model.path"));
        // "reference" asks for the built-in fill explicitly, as an empty model.path does.
        String modelPath = REFERENCE_FILL.equals(given) ? null : given;
        String catalogFile = blankToNull(v.get("model.catalog"));
        ModelCatalog catalog = ModelCatalog.load(catalogFile == null ? null : Path.of(catalogFile));
        ModelCatalog.Entry entry = null;
        String remote = null;
        Path file = null;
        if (modelPath != null && ModelCatalog.isName(modelPath)) {
            entry =
                    catalog.find(modelPath)
                            .orElseThrow(
                                    () ->
                                            new ConfigException(
                                                    "model.path "
                                                            + modelPath
                                                            + " is not in the model catalogue ("
                                                            + String.join(
                                                                    ", ",
                                                                    catalog.entries().stream()
                                                                            .map(
                                                                                    ModelCatalog
                                                                                                    .Entry
                                                                                            ::name)
                                                                            .toList())
                                                            + "; model list shows them); a file"
                                                            + " of that name is ./"
                                                            + modelPath));
        } else if (modelPath != null
                && (modelPath.startsWith("s3://") || WorkerConfig.Model.isHttp(modelPath))) {
            remote = modelPath;
        } else if (modelPath != null) {
            file = Path.of(modelPath);
        }
        return new WorkerConfig.Model(
                file,
                contract(v),
                outputScale(v),
                remote,
                blankToNull(v.get("model.sha256")),
                Path.of(required(v, "model.cacheDir")),
                catalog,
                entry,
                blankToNull(v.get("model.mirror")),
                bool(v, "model.allowInsecureHttp"),
                proxy(v, environment),
                noProxy(v, environment));
    }

    /**
     * The HTTPS proxy for model downloads: {@code model.proxy}, else the {@code HTTPS_PROXY} (or
     * {@code https_proxy}) environment variable, else none here (the JVM's {@code
     * -Dhttps.proxyHost} settings then apply).
     */
    private static java.net.URI proxy(Map<String, String> v, Map<String, String> environment) {
        String value = blankToNull(v.get("model.proxy"));
        if (value == null) {
            value = blankToNull(environment.get("HTTPS_PROXY"));
        }
        if (value == null) {
            value = blankToNull(environment.get("https_proxy"));
        }
        if (value == null) {
            return null;
        }
        try {
            java.net.URI uri =
                    java.net.URI.create(value.contains("://") ? value : "http://" + value);
            if (uri.getHost() == null || uri.getPort() < 0) {
                throw new IllegalArgumentException();
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new ConfigException(
                    "the HTTPS proxy (model.proxy or HTTPS_PROXY) must be host:port or"
                            + " http://host:port");
        }
    }

    /**
     * Hosts downloads reach without the proxy: {@code model.noProxy}, else the {@code NO_PROXY} (or
     * {@code no_proxy}) environment variable; comma-separated, a leading {@code .} or {@code *.}
     * dropped, so that each entry covers a host and its sub-domains.
     */
    private static List<String> noProxy(Map<String, String> v, Map<String, String> environment) {
        String value = blankToNull(v.get("model.noProxy"));
        if (value == null) {
            value = blankToNull(environment.get("NO_PROXY"));
        }
        if (value == null) {
            value = blankToNull(environment.get("no_proxy"));
        }
        if (value == null) {
            return List.of();
        }
        return java.util.Arrays.stream(value.split(","))
                .map(h -> h.trim().toLowerCase(java.util.Locale.ROOT))
                .map(
                        h ->
                                h.startsWith("*.")
                                        ? h.substring(2)
                                        : h.startsWith(".") ? h.substring(1) : h)
                .filter(h -> !h.isEmpty())
                .toList();
    }

    /** {@code auto}: one per core, at least 2, so one long decode never stalls the others. */
    private static int pipelineThreads(Map<String, String> values) {
        if (required(values, "worker.pipelineThreads").equalsIgnoreCase("auto")) {
            return Math.max(2, Runtime.getRuntime().availableProcessors());
        }
        return integer(values, "worker.pipelineThreads");
    }

    /**
     * {@code CUDA_VISIBLE_DEVICES} as a list: CUDA numbers the GPUs it names from 0 in that order,
     * while nvidia-smi keeps its own numbering, so {@code cuda:N} is nvidia-smi's entry N of this
     * list (an index or a UUID, both of which nvidia-smi's {@code --id} takes). Empty when unset.
     */
    static List<String> visibleDevices(String variable) {
        if (variable == null || variable.isBlank()) {
            return List.of();
        }
        return java.util.Arrays.stream(variable.split(","))
                .map(String::trim)
                .filter(entry -> !entry.isEmpty())
                .toList();
    }

    private static Device device(Map<String, String> values, List<String> visibleDevices) {
        return new Device(
                required(values, "inference.device"),
                bool(values, "inference.allowCpuFallback"),
                new Device.Cuda(
                        longValue(values, "inference.cuda.memoryLimitBytes"),
                        required(values, "inference.cuda.arenaStrategy"),
                        required(values, "inference.cuda.cudnnConvAlgoSearch")),
                visibleDevices);
    }

    private static boolean bool(Map<String, String> values, String key) {
        String value = required(values, key);
        if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(value);
        }
        throw new ConfigException(key + " must be true or false, got '" + value + "'");
    }

    private static URI endpoint(String value) {
        if (value == null) {
            return null;
        }
        try {
            URI uri = new URI(value);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                    || uri.getHost() == null) {
                throw new ConfigException(
                        "s3.endpoint must be an http:// or https:// URL, got '" + value + "'");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new ConfigException("s3.endpoint is not a URL: '" + value + "'");
        }
    }

    private static String workerId(String configured) {
        if (configured != null) {
            return configured;
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "worker";
        }
        return host + "-" + ProcessHandle.current().pid();
    }

    /** A secret from a file (a mounted Kubernetes or Docker secret); never echoed. */
    private static String readSecret(Path file) {
        try {
            String secret = Files.readString(file).strip();
            if (secret.isEmpty()) {
                throw new ConfigException("s3.secretKeyFile " + file + " is empty");
            }
            return secret;
        } catch (IOException e) {
            throw new ConfigException(
                    "s3.secretKeyFile "
                            + file
                            + " cannot be read: "
                            + e.getClass().getSimpleName());
        }
    }

    private static boolean logFormat(Map<String, String> values) {
        String format = required(values, "log.format");
        return switch (format.toLowerCase(Locale.ROOT)) {
            case "json" -> true;
            case "text" -> false;
            default -> throw new ConfigException("log.format must be text or json, got " + format);
        };
    }

    /** A comma-separated list; blank means empty. */
    private static java.util.Set<String> list(String value) {
        java.util.Set<String> items = new java.util.TreeSet<>();
        if (value != null) {
            for (String item : value.split(",")) {
                if (!item.isBlank()) {
                    items.add(item.trim());
                }
            }
        }
        return items;
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    private static String required(Map<String, String> values, String key) {
        String value = blankToNull(values.get(key));
        if (value == null) {
            throw new ConfigException(key + " must not be empty");
        }
        return value;
    }

    private static int integer(Map<String, String> values, String key) {
        long value = longValue(values, key);
        if (value > Integer.MAX_VALUE || value < Integer.MIN_VALUE) {
            throw new ConfigException(key + " is out of range: " + value);
        }
        return (int) value;
    }

    private static long longValue(Map<String, String> values, String key) {
        String value = required(values, key);
        try {
            return Long.parseLong(value.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new ConfigException(key + " must be a whole number, got '" + value + "'");
        }
    }

    /** {@code output.format}, with {@code jpg} read as {@code jpeg} as jobs may spell it. */
    private static String outputFormat(String value) {
        String format = value.trim().toLowerCase(Locale.ROOT);
        return format.equals("jpg") ? "jpeg" : format;
    }
}
