package org.lamaworker.worker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lamaworker.worker.inference.InpaintModel;

class ConfigLoaderTest {
    @TempDir Path dir;

    @Test
    void defaultsMeanEmbeddedServersAndTheReferenceModel() {
        WorkerConfig config = ConfigLoader.load(null, Map.of(), Map.of());
        assertThat(config.embedded()).isTrue();
        assertThat(config.model().path()).isNull();
        assertThat(config.kafka().jobsTopic()).isEqualTo("inpaint.jobs");
        assertThat(config.kafka().resultsTopic()).isEqualTo("inpaint.results");
        assertThat(config.kafka().eventsTopic()).isEqualTo("inpaint.events");
        assertThat(config.workerId()).isNotBlank();
    }

    @Test
    void theConsoleIsOnWithTheEmbeddedServersOnlyUnlessSaid() {
        Map<String, String> external =
                Map.of("kafka.bootstrap.servers", "k:9092", "s3.endpoint", "http://s3:9000");
        WorkerConfig embedded = ConfigLoader.load(null, Map.of(), Map.of());
        assertThat(embedded.consoleEnabled()).isTrue();
        assertThat(embedded.console().host()).isEqualTo("127.0.0.1");
        assertThat(embedded.console().port()).isEqualTo(8082);
        assertThat(ConfigLoader.load(null, Map.of(), external).consoleEnabled()).isFalse();
        Map<String, String> enabled = new java.util.HashMap<>(external);
        enabled.put("console.enabled", "true");
        assertThat(ConfigLoader.load(null, Map.of(), enabled).consoleEnabled()).isTrue();
        assertThat(
                        ConfigLoader.load(null, Map.of("LAMA_CONSOLE_ENABLED", "false"), Map.of())
                                .consoleEnabled())
                .isFalse();
        assertThatThrownBy(
                        () -> ConfigLoader.load(null, Map.of(), Map.of("console.enabled", "yes")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("console.enabled must be auto, true or false");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("console.port", "70000")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("console.port");
        assertThat(
                        ConfigLoader.load(
                                        null,
                                        Map.of(),
                                        Map.of(
                                                "console.allowedHosts",
                                                " Console.Example.com, lama.internal "))
                                .console()
                                .allowedHosts())
                .containsExactlyInAnyOrder("console.example.com", "lama.internal");
        assertThatThrownBy(
                        () ->
                                ConfigLoader.load(
                                        null,
                                        Map.of(),
                                        Map.of("console.allowedHosts", "console.example.com:443")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("console.allowedHosts: 'console.example.com:443'");
        // The console writes to s3.bucket: a bucket jobs may not use cannot be its. Asked for,
        // that is an error; on by default (auto), the console stays off.
        assertThat(
                        ConfigLoader.load(
                                        null, Map.of(), Map.of("storage.allowedBuckets", "photos"))
                                .consoleEnabled())
                .isFalse();
        enabled.put("storage.allowedBuckets", "photos");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), enabled))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("storage.allowedBuckets")
                .hasMessageContaining("console.enabled=false");
    }

    @Test
    void theAttemptsTopicFollowsTheJobsTopicUnlessNamedOrTurnedOff() {
        assertThat(ConfigLoader.load(null, Map.of(), Map.of()).kafka().attemptsTopic())
                .isEqualTo("inpaint.jobs.attempts");
        assertThat(
                        ConfigLoader.load(null, Map.of(), Map.of("topics.jobs", "edits:4,bulk"))
                                .kafka()
                                .attemptsTopic())
                .isEqualTo("edits.attempts");
        assertThat(
                        ConfigLoader.load(null, Map.of("LAMA_TOPICS_ATTEMPTS", "starts"), Map.of())
                                .kafka()
                                .attemptsTopic())
                .isEqualTo("starts");
        assertThat(
                        ConfigLoader.load(null, Map.of(), Map.of("topics.attempts", "none"))
                                .kafka()
                                .attemptsTopic())
                .isNull();
        assertThat(ConfigLoader.load(null, Map.of(), Map.of()).delivery().maxCrashes())
                .isEqualTo(2);
        assertThatThrownBy(
                        () -> ConfigLoader.load(null, Map.of(), Map.of("delivery.maxCrashes", "0")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("delivery.maxCrashes");
    }

    @Test
    void jobsInFlightFollowTheRunnersAndTheDevice() {
        WorkerConfig cpu = ConfigLoader.load(null, Map.of(), Map.of());
        int cores = Runtime.getRuntime().availableProcessors();
        // One session run by two threads (one on a single core), and one job more in flight than
        // the runners run at once, so each has work while a job is downloaded, decoded or encoded.
        assertThat(cpu.inference().sessions()).isEqualTo(1);
        assertThat(cpu.inference().runners()).isEqualTo(Math.min(2, cores));
        assertThat(cpu.inference().maxBatch()).isEqualTo(1);
        assertThat(cpu.maxInFlight()).isEqualTo(cpu.inference().runners() + 1);

        WorkerConfig three =
                ConfigLoader.load(null, Map.of("LAMA_INFERENCE_SESSIONS", "3"), Map.of());
        assertThat(three.inference().runners()).isEqualTo(3);
        assertThat(three.maxInFlight()).isEqualTo(4);

        WorkerConfig oneRunner =
                ConfigLoader.load(null, Map.of("LAMA_INFERENCE_RUNNERS", "1"), Map.of());
        assertThat(oneRunner.maxInFlight()).isEqualTo(2);

        // GPU: one session, one runner, batches of up to 4 jobs' crops, 5 jobs in flight.
        WorkerConfig gpu =
                ConfigLoader.load(null, Map.of("LAMA_INFERENCE_DEVICE", "cuda:0"), Map.of());
        assertThat(gpu.inference().sessions()).isEqualTo(1);
        assertThat(gpu.inference().runners()).isEqualTo(1);
        assertThat(gpu.inference().maxBatch()).isEqualTo(4);
        assertThat(gpu.maxInFlight()).isEqualTo(5);

        WorkerConfig fixed =
                ConfigLoader.load(null, Map.of("LAMA_WORKER_MAX_IN_FLIGHT", "7"), Map.of());
        assertThat(fixed.maxInFlight()).isEqualTo(7);
    }

    @Test
    void nvidiaSmiFindsTheGpuThatCudaVisibleDevicesRenumbered() {
        // CUDA_VISIBLE_DEVICES=2,3: CUDA's device 1 is the machine's GPU 3.
        WorkerConfig renumbered =
                ConfigLoader.load(
                        null,
                        Map.of("LAMA_INFERENCE_DEVICE", "cuda:1", "CUDA_VISIBLE_DEVICES", "2, 3"),
                        Map.of());
        assertThat(renumbered.inference().device().nvidiaSmiId()).isEqualTo("3");
        String uuid = "GPU-8f6a3c1e-55d2-4b6e-9f0a-1c2d3e4f5a6b";
        WorkerConfig byUuid =
                ConfigLoader.load(
                        null,
                        Map.of("LAMA_INFERENCE_DEVICE", "cuda:0", "CUDA_VISIBLE_DEVICES", uuid),
                        Map.of());
        assertThat(byUuid.inference().device().nvidiaSmiId()).isEqualTo(uuid);
        WorkerConfig unset =
                ConfigLoader.load(null, Map.of("LAMA_INFERENCE_DEVICE", "tensorrt:1"), Map.of());
        assertThat(unset.inference().device().nvidiaSmiId()).isEqualTo("1");
        assertThat(ConfigLoader.load(null, Map.of(), Map.of()).inference().device().nvidiaSmiId())
                .isNull();
    }

    @Test
    void autoRunnersAreTwoOnACpuWithTwoCoresOrMoreAndOnePerSessionOnAGpu() {
        assertThat(ConfigLoader.autoRunners(false, 1, 1)).isEqualTo(1);
        assertThat(ConfigLoader.autoRunners(false, 1, 2)).isEqualTo(2);
        assertThat(ConfigLoader.autoRunners(false, 1, 64)).isEqualTo(2);
        assertThat(ConfigLoader.autoRunners(false, 3, 64)).isEqualTo(3);
        assertThat(ConfigLoader.autoRunners(true, 1, 64)).isEqualTo(1);
        assertThat(ConfigLoader.autoRunners(true, 2, 64)).isEqualTo(2);
    }

    @Test
    void environmentOverridesFileAndOverridesOverrideEnvironment() throws IOException {
        Path file = dir.resolve("w.properties");
        Files.writeString(
                file,
                "kafka.bootstrap.servers=file:9092\ns3.endpoint=http://file:9000\n"
                        + "s3.accessKey=fromfile\ns3.secretKey=filesecret\nworker.maxInFlight=3\n"
                        + "topics.jobs=file.jobs\n");
        Map<String, String> env =
                Map.of(
                        "LAMA_KAFKA_BOOTSTRAP_SERVERS", "env:9092",
                        "LAMA_S3_SECRET_KEY", "envsecret",
                        "LAMA_WORKER_MAX_IN_FLIGHT", "5",
                        "LAMA_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                        "UNRELATED", "x");
        WorkerConfig config = ConfigLoader.load(file, env, Map.of("model.path", "/m/lama.onnx"));
        assertThat(config.embedded()).isFalse();
        assertThat(config.kafka().bootstrapServers()).isEqualTo("env:9092");
        assertThat(config.kafka().jobsTopic()).isEqualTo("file.jobs");
        assertThat(config.kafka().clientProperties())
                .containsExactlyEntriesOf(Map.of("security.protocol", "SASL_SSL"));
        assertThat(config.storage().endpoint()).isEqualTo(URI.create("http://file:9000"));
        assertThat(config.storage().accessKey()).isEqualTo("fromfile");
        assertThat(config.storage().secretKey().reveal()).isEqualTo("envsecret");
        assertThat(config.maxInFlight()).isEqualTo(5);
        assertThat(config.model().path()).isEqualTo(Path.of("/m/lama.onnx"));
    }

    @Test
    void secretsNeverPrint() {
        WorkerConfig config =
                ConfigLoader.load(
                        null,
                        Map.of(
                                "LAMA_KAFKA_BOOTSTRAP_SERVERS", "k:9092",
                                "LAMA_S3_ENDPOINT", "http://s3:9000",
                                "LAMA_S3_ACCESS_KEY", "AKIDEXAMPLE",
                                "LAMA_S3_SECRET_KEY", "wJalrXUtnFEMI-very-secret",
                                "LAMA_KAFKA_SASL_JAAS_CONFIG", "password=\"hunter2\""),
                        Map.of());
        assertThat(config.toString())
                .doesNotContain("wJalrXUtnFEMI-very-secret")
                .doesNotContain("hunter2")
                .contains("sasl.jaas.config");
    }

    @Test
    void refusesHalfConfiguredServers() {
        assertThatThrownBy(
                        () ->
                                ConfigLoader.load(
                                        null,
                                        Map.of("LAMA_KAFKA_BOOTSTRAP_SERVERS", "k:9092"),
                                        Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("s3.endpoint is not");
    }

    @Test
    void secretKeyFromAFileOrNoKeysForTheStandardSources(@org.junit.jupiter.api.io.TempDir Path dir)
            throws IOException {
        Path file = dir.resolve("secret");
        Files.writeString(file, "file-held-secret\n");
        Map<String, String> servers =
                Map.of(
                        "LAMA_KAFKA_BOOTSTRAP_SERVERS", "k:9092",
                        "LAMA_S3_ENDPOINT", "http://s3:9000");
        Map<String, String> withFile = new java.util.HashMap<>(servers);
        withFile.put("LAMA_S3_ACCESS_KEY", "id");
        withFile.put("LAMA_S3_SECRET_KEY_FILE", file.toString());
        WorkerConfig fromFile = ConfigLoader.load(null, withFile, Map.of());
        assertThat(fromFile.storage().secretKey().reveal()).isEqualTo("file-held-secret");
        assertThat(fromFile.toString()).doesNotContain("file-held-secret");

        WorkerConfig standard = ConfigLoader.load(null, servers, Map.of());
        assertThat(standard.storage().accessKey()).isNull();
        assertThat(standard.storage().secretKey()).isNull();

        Map<String, String> half = new java.util.HashMap<>(servers);
        half.put("LAMA_S3_ACCESS_KEY", "id");
        assertThatThrownBy(() -> ConfigLoader.load(null, half, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("s3.secretKey");
    }

    @Test
    void sessionsAndRunnersShareTheCoresUnlessThreadsAreSet() {
        // One session run by two threads: each run computes on its own thread, and the pool
        // holds the rest of the cores, which one run alone may take.
        assertThat(InpaintModel.Options.threadsFor(2, 1, 2)).isEqualTo(1);
        assertThat(InpaintModel.Options.threadsFor(16, 1, 2)).isEqualTo(15);
        assertThat(InpaintModel.Options.threadsFor(16, 1, 1)).isEqualTo(16);
        // Two sessions of one runner each: half the cores each.
        assertThat(InpaintModel.Options.threadsFor(2, 2, 2)).isEqualTo(1);
        assertThat(InpaintModel.Options.threadsFor(16, 2, 2)).isEqualTo(8);
        assertThat(InpaintModel.Options.threadsFor(16, 2, 4)).isEqualTo(7);
        assertThat(InpaintModel.Options.threadsFor(1, 1, 4)).isEqualTo(1);

        WorkerConfig two =
                ConfigLoader.load(null, Map.of("LAMA_INFERENCE_SESSIONS", "2"), Map.of());
        int cores = Runtime.getRuntime().availableProcessors();
        assertThat(two.inference().sessions()).isEqualTo(2);
        assertThat(InpaintModel.Options.of(two).threads())
                .isEqualTo(InpaintModel.Options.threadsFor(cores, 2, 2));
        WorkerConfig pinned =
                ConfigLoader.load(
                        null,
                        Map.of("LAMA_INFERENCE_SESSIONS", "2", "LAMA_INFERENCE_THREADS", "3"),
                        Map.of());
        assertThat(InpaintModel.Options.of(pinned).threads()).isEqualTo(3);
        assertThatThrownBy(
                        () ->
                                ConfigLoader.load(
                                        null, Map.of("LAMA_INFERENCE_SESSIONS", "0"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("inference.sessions");
        assertThatThrownBy(
                        () ->
                                ConfigLoader.load(
                                        null,
                                        Map.of(
                                                "LAMA_INFERENCE_SESSIONS",
                                                "2",
                                                "LAMA_INFERENCE_RUNNERS",
                                                "1"),
                                        Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("inference.runners must be at least inference.sessions");
    }

    @Test
    void refusesBadValuesNamingTheKey() {
        assertThatThrownBy(
                        () ->
                                ConfigLoader.load(
                                        null,
                                        Map.of("LAMA_WORKER_MAX_IN_FLIGHT", "many"),
                                        Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("worker.maxInFlight");
        assertThatThrownBy(
                        () ->
                                ConfigLoader.load(
                                        null,
                                        Map.of(
                                                "LAMA_KAFKA_BOOTSTRAP_SERVERS", "k:9092",
                                                "LAMA_S3_ENDPOINT", "ftp://x",
                                                "LAMA_S3_ACCESS_KEY", "a",
                                                "LAMA_S3_SECRET_KEY", "b"),
                                        Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("s3.endpoint");
    }

    @Test
    void refusesUnknownKeysInTheFile() throws IOException {
        Path file = dir.resolve("typo.properties");
        Files.writeString(file, "worker.maxInflight=3\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("worker.maxInflight");
    }

    @Test
    void environmentNamesFollowTheRule() {
        assertThat(ConfigKeys.environmentName("s3.accessKey")).isEqualTo("LAMA_S3_ACCESS_KEY");
        assertThat(ConfigKeys.environmentName("kafka.bootstrap.servers"))
                .isEqualTo("LAMA_KAFKA_BOOTSTRAP_SERVERS");
        assertThat(ConfigKeys.environmentName("worker.maxInFlight"))
                .isEqualTo("LAMA_WORKER_MAX_IN_FLIGHT");
    }

    /** The sample file under deploy/ documents exactly the keys the worker reads, with defaults. */
    @Test
    void sampleFileDocumentsEveryKeyWithItsDefault() throws IOException {
        Path sample = Path.of("..", "deploy", "lama-worker.properties");
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(sample)) {
            properties.load(reader);
        }
        assertThat(properties.stringPropertyNames()).isEqualTo(ConfigKeys.DEFAULTS.keySet());
        ConfigKeys.DEFAULTS.forEach(
                (key, value) -> assertThat(properties.getProperty(key)).as(key).isEqualTo(value));
        // The sample itself must load.
        assertThat(ConfigLoader.load(sample, Map.of(), Map.of()).embedded()).isTrue();
    }
}
