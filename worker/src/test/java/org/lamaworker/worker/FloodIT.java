package org.lamaworker.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.worker.app.WorkerVerticle;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.image.ImageEncoder;
import org.lamaworker.worker.image.Picture;
import org.lamaworker.worker.testing.TestServers;

/**
 * 10,000 jobs at once against a budget that holds eight worst-case jobs: the worker never reserves
 * more than its budget, pauses its partitions instead of buffering, keeps its heap bounded, keeps
 * its group membership (no rebalance), and answers every job.
 */
class FloodIT {
    private static final int JOBS = 10_000;
    private static final int REAL_EVERY = 100;

    @Test
    void floodStaysWithinTheBudget() throws Exception {
        TestServers servers = TestServers.get();
        String run = "flood-" + UUID.randomUUID().toString().substring(0, 8);
        servers.createTopics(Map.of(run + ".jobs", 3, run + ".results", 3, run + ".events", 1));
        String bucket = "flood-it";
        servers.createBucket(bucket);
        MinioClient s3 =
                MinioClient.builder()
                        .endpoint(servers.s3Endpoint())
                        .credentials(servers.accessKey(), servers.secretKey())
                        .build();
        byte[] picture = ImageEncoder.encodePng(new Picture(32, 32, new int[32 * 32], false));
        int[] maskPixels = new int[32 * 32];
        maskPixels[16 * 32 + 16] = 0xffffffff;
        byte[] mask = ImageEncoder.encodePng(new Picture(32, 32, maskPixels, false));
        for (Map.Entry<String, byte[]> e : Map.of("p.png", picture, "m.png", mask).entrySet()) {
            s3.putObject(
                    PutObjectArgs.builder().bucket(bucket).object(e.getKey()).stream(
                                    new ByteArrayInputStream(e.getValue()), e.getValue().length, -1)
                            .build());
        }

        Map<String, String> settings = new HashMap<>();
        settings.put("kafka.bootstrap.servers", servers.bootstrapServers());
        settings.put("kafka.group.id", run);
        settings.put("s3.endpoint", servers.s3Endpoint());
        settings.put("s3.accessKey", servers.accessKey());
        settings.put("s3.secretKey", servers.secretKey());
        settings.put("s3.bucket", bucket);
        settings.put("topics.jobs", run + ".jobs");
        settings.put("topics.results", run + ".results");
        settings.put("topics.events", run + ".events");
        settings.put("worker.maxInFlight", "64");
        settings.put("image.maxPixels", "1000000");
        settings.put("inference.maxPixels", "65536");
        // The worst case of one job is 1e6 * 32 + 65536 * 4096 bytes: room for eight.
        long worstCase = 1_000_000L * 32 + 65_536L * 4096;
        settings.put("inference.memoryBudget", String.valueOf(8 * worstCase + worstCase / 2));
        WorkerConfig config = ConfigLoader.load(null, Map.of(), settings);
        Vertx vertx = Vertx.vertx();
        WorkerVerticle worker = new WorkerVerticle(config);
        vertx.deployVerticle(worker)
                .toCompletionStage()
                .toCompletableFuture()
                .get(2, TimeUnit.MINUTES);
        try {
            // Live heap: what a full collection leaves, every 2 s while the flood runs. Heap in
            // use without one depends on when the collector last ran (and on earlier tests'
            // garbage in this JVM), not on what the worker holds.
            AtomicLong peakHeap = new AtomicLong();
            AtomicBoolean flooding = new AtomicBoolean(true);
            Thread sampler =
                    new Thread(
                            () -> {
                                while (flooding.get()) {
                                    System.gc();
                                    Runtime rt = Runtime.getRuntime();
                                    peakHeap.accumulateAndGet(
                                            rt.totalMemory() - rt.freeMemory(), Math::max);
                                    try {
                                        Thread.sleep(2_000);
                                    } catch (InterruptedException e) {
                                        return;
                                    }
                                }
                            },
                            "flood-heap-sampler");
            sampler.setDaemon(true);
            sampler.start();
            Properties common = new Properties();
            common.put("bootstrap.servers", servers.bootstrapServers());
            try (KafkaProducer<String, byte[]> producer =
                    new KafkaProducer<>(
                            common, new StringSerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < JOBS; i++) {
                    // Most jobs name a missing picture and fail fast, holding their worst case
                    // until their result is out; every hundredth is inpainted for real.
                    String image = i % REAL_EVERY == 0 ? "p.png" : "missing-" + i + ".png";
                    InpaintJob job =
                            InpaintJob.of(
                                    "flood-" + i,
                                    new ObjectRef(bucket, image),
                                    new ObjectRef(bucket, "m.png"));
                    producer.send(
                            new ProducerRecord<>(
                                    run + ".jobs", job.jobId(), JsonCodec.encode(job)));
                }
            }
            Set<String> answered = new HashSet<>();
            int succeeded = 0;
            try (KafkaConsumer<String, byte[]> results =
                    new KafkaConsumer<>(
                            common, new StringDeserializer(), new ByteArrayDeserializer())) {
                List<TopicPartition> partitions =
                        List.of(
                                new TopicPartition(run + ".results", 0),
                                new TopicPartition(run + ".results", 1),
                                new TopicPartition(run + ".results", 2));
                results.assign(partitions);
                results.seekToBeginning(partitions);
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(8);
                while (answered.size() < JOBS && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, byte[]> record :
                            results.poll(Duration.ofMillis(500))) {
                        InpaintResult result = JsonCodec.decodeResult(record.value());
                        if (answered.add(result.jobId())
                                && result.status() == JobStatus.SUCCEEDED) {
                            succeeded++;
                        }
                    }
                }
            }
            flooding.set(false);
            sampler.join();
            assertThat(answered).hasSize(JOBS);
            assertThat(succeeded).isEqualTo(JOBS / REAL_EVERY);
            assertThat(worker.budget().peak())
                    .isPositive()
                    .isLessThanOrEqualTo(worker.budget().budget());
            assertThat(worker.jobConsumer().pauses())
                    .as("partitions paused under the flood")
                    .isPositive();
            assertThat(worker.jobConsumer().assignments()).as("no rebalance").isEqualTo(1);
            // In this JVM the in-process S3 server also holds every test's objects in memory.
            assertThat(peakHeap.get()).as("live heap while flooded").isLessThan(1L << 30);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
            s3.close();
        }
    }
}
