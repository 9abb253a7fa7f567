package org.lamaworker.worker.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.vertx.core.Vertx;
import java.io.InputStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.protocol.OutputObject;
import org.lamaworker.worker.app.WorkerVerticle;
import org.lamaworker.worker.config.ConfigLoader;

/**
 * A real worker in this JVM against the shared test servers, on topics and a bucket of its own:
 * jobs go in through Kafka, results come back from Kafka, outputs are read from S3. Closing it
 * stops the worker.
 */
public final class InProcessWorker implements AutoCloseable {
    private final TestServers servers;
    private final String bucket;
    private final String jobsTopic;
    private final String resultsTopic;
    private final Vertx vertx;

    private InProcessWorker(
            TestServers servers,
            String bucket,
            String jobsTopic,
            String resultsTopic,
            Vertx vertx) {
        this.servers = servers;
        this.bucket = bucket;
        this.jobsTopic = jobsTopic;
        this.resultsTopic = resultsTopic;
        this.vertx = vertx;
    }

    /**
     * Starts a worker with the test servers' settings plus {@code overrides}.
     *
     * @param name prefix of its topics and consumer group
     */
    public static InProcessWorker start(String name, String bucket, Map<String, String> overrides)
            throws Exception {
        TestServers servers = TestServers.get();
        String run = name + "-" + UUID.randomUUID().toString().substring(0, 8);
        String jobs = run + ".jobs";
        String results = run + ".results";
        servers.createTopics(Map.of(jobs, 2, results, 1, run + ".events", 1));
        servers.createBucket(bucket);
        Map<String, String> settings = new HashMap<>(servers.workerSettings(run, bucket));
        settings.putAll(overrides);
        Vertx vertx = Vertx.vertx();
        vertx.deployVerticle(new WorkerVerticle(ConfigLoader.load(null, Map.of(), settings)))
                .toCompletionStage()
                .toCompletableFuture()
                .get(2, TimeUnit.MINUTES);
        return new InProcessWorker(servers, bucket, jobs, results, vertx);
    }

    /** Stores an object in the worker's bucket. */
    public void put(String key, byte[] bytes) throws Exception {
        servers.put(bucket, key, bytes);
    }

    /** A reference to an object of the worker's bucket. */
    public ObjectRef ref(String key) {
        return new ObjectRef(bucket, key);
    }

    /**
     * Sends the jobs (keyed by id) and waits for every result they get; results of earlier runs
     * with the same ids are not read.
     */
    public Map<String, InpaintResult> run(Map<String, InpaintJob> jobs, Duration wait)
            throws Exception {
        try (ResultsReader<InpaintResult> reader =
                new ResultsReader<>(
                                servers.bootstrapServers(), resultsTopic, JsonCodec::decodeResult)
                        .fromNow()) {
            Properties producerConfig = new Properties();
            producerConfig.put("bootstrap.servers", servers.bootstrapServers());
            try (KafkaProducer<String, byte[]> producer =
                    new KafkaProducer<>(
                            producerConfig, new StringSerializer(), new ByteArraySerializer())) {
                for (Map.Entry<String, InpaintJob> job : jobs.entrySet()) {
                    producer.send(
                                    new ProducerRecord<>(
                                            jobsTopic,
                                            job.getKey(),
                                            JsonCodec.encode(job.getValue())))
                            .get();
                }
            }
            Map<String, InpaintResult> results = reader.await(jobs.keySet(), wait);
            assertThat(results.keySet()).containsAll(jobs.keySet());
            return results;
        }
    }

    /** The stored output of a result. */
    public byte[] read(OutputObject output) throws Exception {
        MinioClient s3 = client();
        try (InputStream in =
                s3.getObject(
                        GetObjectArgs.builder()
                                .bucket(output.bucket())
                                .object(output.key())
                                .build())) {
            return in.readAllBytes();
        }
    }

    /**
     * Replaces an object's bytes, keeping its content type and user metadata: a stand-in for an
     * output whose bytes a test must be able to tell from a recomputed one.
     */
    public void copyWithMetadata(ObjectRef ref, byte[] bytes) throws Exception {
        MinioClient s3 = client();
        io.minio.StatObjectResponse stat =
                s3.statObject(
                        io.minio.StatObjectArgs.builder()
                                .bucket(ref.bucket())
                                .object(ref.key())
                                .build());
        java.util.Map<String, String> metadata = new java.util.HashMap<>();
        stat.userMetadata()
                .forEach(
                        (name, value) -> {
                            String key = name.toLowerCase(java.util.Locale.ROOT);
                            metadata.put(
                                    key.startsWith("x-amz-meta-")
                                            ? key.substring("x-amz-meta-".length())
                                            : key,
                                    value);
                        });
        s3.putObject(
                io.minio.PutObjectArgs.builder()
                        .bucket(ref.bucket())
                        .object(ref.key())
                        .contentType(stat.contentType())
                        .userMetadata(metadata)
                        .stream(new java.io.ByteArrayInputStream(bytes), bytes.length, -1)
                        .build());
    }

    private MinioClient client() {
        return MinioClient.builder()
                .endpoint(servers.s3Endpoint())
                .credentials(servers.accessKey(), servers.secretKey())
                .build();
    }

    @Override
    public void close() throws java.io.IOException {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while stopping the worker");
        } catch (java.util.concurrent.ExecutionException
                | java.util.concurrent.TimeoutException e) {
            throw new java.io.IOException("the worker did not stop", e);
        }
    }
}
