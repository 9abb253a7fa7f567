package org.lamaworker.worker.testing;

import io.minio.BucketExistsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.errors.ErrorResponseException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import org.lamaworker.worker.tools.embedded.EmbeddedKafka;
import org.lamaworker.worker.tools.embedded.EmbeddedS3;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.kafka.KafkaContainer;

/**
 * One Kafka broker and one S3 server shared by every test in this JVM.
 *
 * <p>The backend is chosen once per JVM: Testcontainers (Apache Kafka and MinIO images) when a
 * Docker engine is reachable, otherwise the in-process {@link EmbeddedKafka} and {@link
 * EmbeddedS3}. Both are started lazily on the first {@link #get()} and stopped by a shutdown hook.
 * Tests see the same accessors whichever backend runs.
 */
public final class TestServers {
    /** Backend name when Testcontainers runs the servers. */
    public static final String TESTCONTAINERS = "testcontainers";

    /** Backend name when the servers run inside the test JVM. */
    public static final String IN_PROCESS = "in-process";

    static final String KAFKA_IMAGE = "apache/kafka:4.1.0";
    static final String MINIO_IMAGE = "minio/minio:RELEASE.2025-09-07T16-13-09Z";

    private static final Logger LOG = LoggerFactory.getLogger(TestServers.class);
    private static final String ACCESS_KEY = "lama-test-access";
    private static final String SECRET_KEY = "lama-test-secret-0123456789";

    private static TestServers instance;

    private final String backend;
    private final String bootstrapServers;
    private final String s3Endpoint;
    private final String accessKey;
    private final String secretKey;
    private final MinioClient minio;

    private TestServers(
            String backend,
            String bootstrapServers,
            String s3Endpoint,
            String accessKey,
            String secretKey) {
        this.backend = backend;
        this.bootstrapServers = bootstrapServers;
        this.s3Endpoint = s3Endpoint;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.minio =
                MinioClient.builder()
                        .endpoint(s3Endpoint)
                        .credentials(accessKey, secretKey)
                        .region("us-east-1")
                        .build();
    }

    /** Returns the shared servers, starting them on the first call. */
    public static synchronized TestServers get() {
        if (instance == null) {
            long started = System.nanoTime();
            instance =
                    DockerClientFactory.instance().isDockerAvailable()
                            ? startContainers()
                            : startInProcess();
            LOG.info(
                    "Test servers ({}) ready in {} ms: Kafka {}, S3 {}",
                    instance.backend,
                    (System.nanoTime() - started) / 1_000_000,
                    instance.bootstrapServers,
                    instance.s3Endpoint);
        }
        return instance;
    }

    /** Returns {@value #TESTCONTAINERS} or {@value #IN_PROCESS}. */
    public String backend() {
        return backend;
    }

    /** Returns the Kafka bootstrap servers. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Returns the S3 endpoint URL, such as {@code http://127.0.0.1:PORT}. */
    public String s3Endpoint() {
        return s3Endpoint;
    }

    /** Returns the S3 access key. */
    public String accessKey() {
        return accessKey;
    }

    /** Returns the S3 secret key. */
    public String secretKey() {
        return secretKey;
    }

    /** Creates topics with replication factor 1, ignoring those that already exist. */
    public void createTopics(Map<String, Integer> partitionsByName) {
        EmbeddedKafka.createTopics(bootstrapServers, partitionsByName);
    }

    /** Uploads an object. */
    public void put(String bucket, String key, byte[] bytes) {
        try {
            minio.putObject(
                    io.minio.PutObjectArgs.builder().bucket(bucket).object(key).stream(
                                    new java.io.ByteArrayInputStream(bytes), bytes.length, -1)
                            .build());
        } catch (Exception e) {
            throw new IllegalStateException("Cannot upload " + bucket + "/" + key, e);
        }
    }

    /**
     * The settings of a worker against these servers, as configuration keys: group, worker id and
     * topics {@code RUN.jobs}, {@code RUN.results}, {@code RUN.events} named after {@code run}. The
     * map may be changed.
     */
    public Map<String, String> workerSettings(String run, String bucket) {
        Map<String, String> settings = new java.util.HashMap<>();
        settings.put("kafka.bootstrap.servers", bootstrapServers);
        settings.put("kafka.group.id", run);
        settings.put("s3.endpoint", s3Endpoint);
        settings.put("s3.accessKey", accessKey);
        settings.put("s3.secretKey", secretKey);
        settings.put("s3.bucket", bucket);
        settings.put("topics.jobs", run + ".jobs");
        settings.put("topics.results", run + ".results");
        settings.put("topics.events", run + ".events");
        settings.put("worker.id", run);
        return settings;
    }

    /**
     * A fresh run for coffee jobs ({@link CoffeeJobs}): topics {@code RUN.jobs} (one partition),
     * {@code RUN.results} and {@code RUN.events}, and a bucket {@code RUN} holding the coffee
     * picture and mask under {@code in/}.
     *
     * @return the run's name, {@code PREFIX-} and 8 random characters
     */
    public String coffeeRun(String prefix) {
        String run = prefix + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        createTopics(Map.of(run + ".jobs", 1, run + ".results", 1, run + ".events", 1));
        createBucket(run);
        for (String name : java.util.List.of("coffee.png", "coffee.mask.png")) {
            put(run, "in/" + name, Corpus.bytes(name));
        }
        return run;
    }

    /**
     * {@link #workerSettings} as the {@code LAMA_*} environment of a worker process, with the
     * management server on a free port. The map may be changed.
     */
    public Map<String, String> workerEnvironment(String run, String bucket) {
        Map<String, String> env = new java.util.HashMap<>();
        workerSettings(run, bucket)
                .forEach(
                        (key, value) ->
                                env.put(
                                        org.lamaworker.worker.config.ConfigKeys.environmentName(
                                                key),
                                        value));
        env.put("LAMA_MANAGEMENT_PORT", "0");
        return env;
    }

    /** Creates a bucket unless it already exists. */
    public synchronized void createBucket(String name) {
        try {
            if (!minio.bucketExists(BucketExistsArgs.builder().bucket(name).build())) {
                minio.makeBucket(MakeBucketArgs.builder().bucket(name).build());
            }
        } catch (ErrorResponseException e) {
            String code = e.errorResponse().code();
            if (!"BucketAlreadyOwnedByYou".equals(code) && !"BucketAlreadyExists".equals(code)) {
                throw new IllegalStateException("Cannot create bucket " + name, e);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create bucket " + name, e);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot create bucket " + name, e);
        }
    }

    private static TestServers startContainers() {
        KafkaContainer kafka = new KafkaContainer(KAFKA_IMAGE);
        MinIOContainer minio =
                new MinIOContainer(MINIO_IMAGE).withUserName(ACCESS_KEY).withPassword(SECRET_KEY);
        kafka.start();
        minio.start();
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    minio.stop();
                                    kafka.stop();
                                },
                                "test-servers-stop"));
        return new TestServers(
                TESTCONTAINERS,
                kafka.getBootstrapServers(),
                minio.getS3URL(),
                minio.getUserName(),
                minio.getPassword());
    }

    private static TestServers startInProcess() {
        Path dataDir;
        try {
            dataDir = Files.createTempDirectory("lama-test-kafka");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a temporary directory for Kafka", e);
        }
        EmbeddedKafka kafka = EmbeddedKafka.start(dataDir);
        EmbeddedS3 s3 = EmbeddedS3.startInMemory(ACCESS_KEY, SECRET_KEY);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    s3.close();
                                    kafka.close();
                                    deleteRecursively(dataDir);
                                },
                                "test-servers-stop"));
        return new TestServers(
                IN_PROCESS,
                kafka.bootstrapServers(),
                s3.endpoint().toString(),
                ACCESS_KEY,
                SECRET_KEY);
    }

    /** Deletes a directory tree, ignoring what cannot be deleted. */
    public static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(
                    root,
                    new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                                throws IOException {
                            Files.deleteIfExists(file);
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult postVisitDirectory(Path dir, IOException e)
                                throws IOException {
                            Files.deleteIfExists(dir);
                            return FileVisitResult.CONTINUE;
                        }
                    });
        } catch (IOException e) {
            LOG.warn("Could not delete {} completely: {}", root, e.toString());
        }
    }
}
