package org.lamaworker.worker;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lamaworker.protocol.ErrorCode;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobOptions;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.LatencyEvent;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.worker.app.WorkerVerticle;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.testing.Corpus;
import org.lamaworker.worker.testing.ResultsReader;
import org.lamaworker.worker.testing.TestServers;
import org.lamaworker.worker.tools.submit.Submitter;

/**
 * The whole pipeline against a real broker and a real S3 server (containers where Docker runs,
 * in-process servers otherwise): the worker as deployed in production, jobs produced by the same
 * client code as {@code submit}.
 */
class PipelineIT {
    private static final String BUCKET = "pipeline-it";
    private static final Duration WAIT = Duration.ofMinutes(4);

    private static TestServers servers;
    private static Vertx vertx;
    private static WorkerConfig config;
    private static String jobsTopic;
    private static String resultsTopic;
    private static String eventsTopic;

    @BeforeAll
    static void startWorker() throws Exception {
        servers = TestServers.get();
        String run = UUID.randomUUID().toString().substring(0, 8);
        jobsTopic = "pipeline-" + run + ".jobs";
        resultsTopic = "pipeline-" + run + ".results";
        eventsTopic = "pipeline-" + run + ".events";
        servers.createTopics(Map.of(jobsTopic, 2, resultsTopic, 2, eventsTopic, 1));
        servers.createBucket(BUCKET);
        Map<String, String> settings = servers.workerSettings("pipeline-" + run, BUCKET);
        settings.put("worker.id", "pipeline-it-worker");
        config = ConfigLoader.load(null, Map.of(), settings);
        vertx = Vertx.vertx();
        vertx.deployVerticle(new WorkerVerticle(config))
                .toCompletionStage()
                .toCompletableFuture()
                .get(2, TimeUnit.MINUTES);
    }

    @AfterAll
    static void stopWorker() throws Exception {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
        }
    }

    private static Submitter.Target target() {
        return new Submitter.Target(
                servers.bootstrapServers(),
                servers.s3Endpoint(),
                servers.accessKey(),
                servers.secretKey(),
                BUCKET,
                jobsTopic,
                resultsTopic);
    }

    private static MinioClient s3() {
        return MinioClient.builder()
                .endpoint(servers.s3Endpoint())
                .credentials(servers.accessKey(), servers.secretKey())
                .build();
    }

    private static byte[] read(MinioClient s3, String bucket, String key) throws Exception {
        try (InputStream in =
                s3.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            return in.readAllBytes();
        }
    }

    @Test
    void everyCorpusPictureComesBackInpainted(@TempDir Path dir) throws Exception {
        Path in = Corpus.copyTo(dir.resolve("in"), Corpus.PICTURES);
        List<Submitter.Request> requests = new ArrayList<>();
        for (String picture : Corpus.PICTURES) {
            String stem = picture.substring(0, picture.lastIndexOf('.'));
            requests.add(
                    new Submitter.Request(
                            "corpus-" + stem,
                            in.resolve(picture),
                            in.resolve(Corpus.maskOf(picture)),
                            dir.resolve("out").resolve(stem + ".png")));
        }
        List<Submitter.Outcome> outcomes;
        try (Submitter submitter = new Submitter(target())) {
            // PNG for every picture, so that every pixel outside the mask can be compared;
            // FidelityIT covers format=auto.
            outcomes = submitter.submit(requests, Map.of("format", "png"), WAIT, o -> {});
        }
        assertThat(outcomes).hasSize(Corpus.PICTURES.size());
        for (Submitter.Outcome outcome : outcomes) {
            InpaintResult result = outcome.result();
            assertThat(result).as(outcome.request().jobId()).isNotNull();
            assertThat(result.status())
                    .as(result.jobId() + " " + result.error())
                    .isEqualTo(JobStatus.SUCCEEDED);
            assertThat(result.output().bucket()).isEqualTo(BUCKET);
            assertThat(result.output().key()).isEqualTo("results/" + result.jobId() + ".png");
            assertThat(result.output().contentType()).isEqualTo("image/png");
            byte[] output = Files.readAllBytes(outcome.request().out());
            assertThat(result.output().bytes()).isEqualTo(output.length);
            assertThat(result.timings().total()).isPositive();
            String picture = outcome.request().image().getFileName().toString();
            Corpus.assertInpainted(picture, output);
        }
    }

    @Test
    void badRecordsFailWithSpecificCodesAndTheWorkerServesTheNextJob() throws Exception {
        MinioClient s3 = s3();
        byte[] coffee = Corpus.bytes("coffee.png");
        byte[] coffeeMask = Corpus.bytes("coffee.mask.png");
        byte[] chelseaMask = Corpus.bytes("chelsea.mask.png");
        for (Map.Entry<String, byte[]> object :
                Map.of(
                                "bad/coffee.png",
                                coffee,
                                "bad/coffee.mask.png",
                                coffeeMask,
                                "bad/chelsea.mask.png",
                                chelseaMask)
                        .entrySet()) {
            s3.putObject(
                    PutObjectArgs.builder().bucket(BUCKET).object(object.getKey()).stream(
                                    new ByteArrayInputStream(object.getValue()),
                                    object.getValue().length,
                                    -1)
                            .build());
        }
        ObjectRef image = new ObjectRef(BUCKET, "bad/coffee.png");
        ObjectRef mask = new ObjectRef(BUCKET, "bad/coffee.mask.png");
        Map<String, byte[]> records = new java.util.LinkedHashMap<>();
        records.put("bad-json", "{\"version\":1,\"jobId\":".getBytes(UTF_8));
        records.put(
                "bad-field",
                "{\"version\":1,\"jobId\":\"bad-field\",\"image\":{\"bucket\":\"pipeline-it\"}}"
                        .getBytes(UTF_8));
        records.put("bad-version", "{\"version\":7,\"jobId\":\"bad-version\"}".getBytes(UTF_8));
        records.put(
                "no-image",
                JsonCodec.encode(
                        InpaintJob.of("no-image", new ObjectRef(BUCKET, "bad/missing.png"), mask)));
        records.put(
                "no-mask",
                JsonCodec.encode(
                        InpaintJob.of(
                                "no-mask", image, new ObjectRef(BUCKET, "bad/missing.mask.png"))));
        records.put(
                "wrong-mask",
                JsonCodec.encode(
                        InpaintJob.of(
                                "wrong-mask",
                                image,
                                new ObjectRef(BUCKET, "bad/chelsea.mask.png"))));
        records.put(
                "not-a-picture",
                JsonCodec.encode(
                        InpaintJob.of(
                                "not-a-picture",
                                new ObjectRef(BUCKET, "bad/coffee.mask.png.txt"),
                                mask)));
        records.put(
                "no-output-bucket",
                JsonCodec.encode(
                        new InpaintJob(
                                1,
                                "no-output-bucket",
                                image,
                                mask,
                                new ObjectRef("pipeline-it-nowhere", "out.png"),
                                null,
                                null,
                                null)));
        records.put(
                "good-after-bad", JsonCodec.encode(InpaintJob.of("good-after-bad", image, mask)));
        JobOptions jpeg = new JobOptions("crop", null, null, null, null, "jpeg", 80);
        records.put(
                "jpeg-out",
                JsonCodec.encode(
                        new InpaintJob(
                                1, "jpeg-out", image, mask, null, jpeg, null, Map.of("k", "v"))));
        JobOptions webp = new JobOptions(null, null, null, null, null, "webp", null);
        records.put(
                "webp-out",
                JsonCodec.encode(
                        new InpaintJob(1, "webp-out", image, mask, null, webp, null, null)));
        records.put(
                "too-late",
                JsonCodec.encode(
                        new InpaintJob(
                                1,
                                "too-late",
                                image,
                                mask,
                                null,
                                null,
                                java.time.Instant.parse("2020-01-01T00:00:00Z"),
                                null)));
        s3.putObject(
                PutObjectArgs.builder().bucket(BUCKET).object("bad/coffee.mask.png.txt").stream(
                                new ByteArrayInputStream("not a picture".getBytes(UTF_8)), 13, -1)
                        .build());

        Properties producerConfig = new Properties();
        producerConfig.put("bootstrap.servers", servers.bootstrapServers());
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(
                        producerConfig, new StringSerializer(), new ByteArraySerializer())) {
            for (Map.Entry<String, byte[]> record : records.entrySet()) {
                producer.send(new ProducerRecord<>(jobsTopic, record.getKey(), record.getValue()))
                        .get();
            }
        }
        // A record with neither a usable key nor a readable job id is still answered.
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(
                        producerConfig, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(jobsTopic, 0, null, "garbage".getBytes(UTF_8)))
                    .get();
        }

        Map<String, InpaintResult> results;
        try (ResultsReader<InpaintResult> reader =
                new ResultsReader<>(
                        servers.bootstrapServers(), resultsTopic, JsonCodec::decodeResult)) {
            results = reader.await(records.keySet(), WAIT);
        }
        assertThat(code(results.get("bad-json"))).isEqualTo(ErrorCode.MALFORMED_JOB);
        assertThat(code(results.get("bad-field"))).isEqualTo(ErrorCode.INVALID_JOB);
        assertThat(results.get("bad-field").error().message()).startsWith("image.key");
        assertThat(code(results.get("bad-version"))).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
        assertThat(code(results.get("no-image"))).isEqualTo(ErrorCode.IMAGE_NOT_FOUND);
        assertThat(results.get("no-image").error().message()).contains("bad/missing.png");
        assertThat(code(results.get("no-mask"))).isEqualTo(ErrorCode.MASK_NOT_FOUND);
        assertThat(code(results.get("wrong-mask"))).isEqualTo(ErrorCode.MASK_SIZE_MISMATCH);
        assertThat(code(results.get("not-a-picture")))
                .isEqualTo(ErrorCode.UNSUPPORTED_IMAGE_FORMAT);
        assertThat(code(results.get("too-late"))).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
        // A missing output bucket is the job's mistake: answered at once, not retried as an outage.
        assertThat(code(results.get("no-output-bucket"))).isEqualTo(ErrorCode.INVALID_JOB);
        assertThat(results.get("no-output-bucket").error().message()).contains("does not exist");
        assertThat(results.get("no-output-bucket").timings().upload()).isLessThan(5_000);
        InpaintResult jpegResult = results.get("jpeg-out");
        assertThat(jpegResult.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(jpegResult.output().contentType()).isEqualTo("image/jpeg");
        assertThat(jpegResult.output().key()).isEqualTo("results/jpeg-out.jpg");
        assertThat(jpegResult.attributes()).containsEntry("k", "v");
        assertThat(read(s3, BUCKET, "results/jpeg-out.jpg")).startsWith((byte) 0xff, (byte) 0xd8);
        InpaintResult webpResult = results.get("webp-out");
        assertThat(webpResult.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(webpResult.output().contentType()).isEqualTo("image/webp");
        assertThat(webpResult.output().key()).isEqualTo("results/webp-out.webp");
        // A PNG input is lossless, so its WebP is too: every pixel outside the mask as it was.
        Corpus.assertInpainted("coffee.png", read(s3, BUCKET, "results/webp-out.webp"));
        InpaintResult good = results.get("good-after-bad");
        assertThat(good.status()).isEqualTo(JobStatus.SUCCEEDED);
        Corpus.assertInpainted("coffee.png", read(s3, good.output().bucket(), good.output().key()));

        // Every finished job has a latency event naming this worker and the model.
        try (ResultsReader<LatencyEvent> events =
                new ResultsReader<>(
                        servers.bootstrapServers(), eventsTopic, JsonCodec::decodeEvent)) {
            Map<String, LatencyEvent> byJob =
                    events.await(Set.of("good-after-bad", "no-image"), WAIT);
            assertThat(byJob.get("good-after-bad").workerId()).isEqualTo("pipeline-it-worker");
            assertThat(byJob.get("good-after-bad").modelId()).startsWith("reference-fill@");
            assertThat(byJob.get("no-image").errorCode()).isEqualTo("IMAGE_NOT_FOUND");
        }
        assertAllOffsetsCommitted();
    }

    private static ErrorCode code(InpaintResult result) {
        assertThat(result.status()).isEqualTo(JobStatus.FAILED);
        return ErrorCode.valueOf(result.error().code());
    }

    /** Every job has its result, so the group's committed offsets reach the end of the topic. */
    private static void assertAllOffsetsCommitted() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", servers.bootstrapServers()))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                for (int p = 0; p < 2; p++) {
                    latest.put(new TopicPartition(jobsTopic, p), OffsetSpec.latest());
                }
                var ends = admin.listOffsets(latest).all().get();
                Map<TopicPartition, OffsetAndMetadata> committed =
                        admin.listConsumerGroupOffsets(config.kafka().groupId())
                                .partitionsToOffsetAndMetadata()
                                .get();
                boolean done =
                        ends.entrySet().stream()
                                .allMatch(
                                        e ->
                                                e.getValue().offset() == 0
                                                        || (committed.get(e.getKey()) != null
                                                                && committed
                                                                                .get(e.getKey())
                                                                                .offset()
                                                                        == e.getValue().offset()));
                if (done) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("committed " + committed + " but ends are " + ends);
                }
                Thread.sleep(200);
            }
        }
    }
}
