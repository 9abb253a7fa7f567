package org.lamaworker.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.LatencyEvent;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.worker.app.WorkerVerticle;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.inference.reference.ReferenceFillModel;
import org.lamaworker.worker.management.ManagementServer;
import org.lamaworker.worker.management.WorkerMetrics;
import org.lamaworker.worker.testing.Corpus;
import org.lamaworker.worker.testing.ResultsReader;
import org.lamaworker.worker.testing.TestServers;

/**
 * The management port while a worker runs: liveness, readiness that follows start-up, Prometheus
 * metrics that count the jobs; and a model pulled from S3 with its checksum verified.
 */
class ManagementIT {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthAndMetricsAnswerWhileAWorkerWithAModelFromS3Runs(@TempDir Path dir)
            throws Exception {
        TestServers servers = TestServers.get();
        String run = "mgmt-" + UUID.randomUUID().toString().substring(0, 8);
        servers.createTopics(
                Map.of(
                        run + ".jobs",
                        2,
                        run + ".interactive",
                        1,
                        run + ".results",
                        2,
                        run + ".events",
                        1));
        servers.createBucket(run);
        byte[] model = ReferenceFillModel.build();
        String sha256 =
                HexFormat.of()
                        .formatHex(
                                java.security.MessageDigest.getInstance("SHA-256").digest(model));
        servers.put(run, "models/reference.onnx", model);
        servers.put(run, "in/coffee.png", Corpus.bytes("coffee.png"));
        servers.put(run, "in/coffee.mask.png", Corpus.bytes("coffee.mask.png"));

        Map<String, String> settings = servers.workerSettings(run, run);
        settings.put("model.path", "s3://" + run + "/models/reference.onnx");
        settings.put("model.sha256", sha256);
        settings.put("model.cacheDir", dir.resolve("models").toString());
        // Two lanes, so the per-lane metrics have two to show.
        settings.put("topics.jobs", run + ".interactive:8," + run + ".jobs:1");
        WorkerConfig config = ConfigLoader.load(null, Map.of(), settings);

        Vertx vertx = Vertx.vertx();
        WorkerMetrics metrics = new WorkerMetrics();
        WorkerVerticle worker = new WorkerVerticle(config, metrics);
        try {
            ManagementServer management =
                    ManagementServer.start(
                                    vertx, "127.0.0.1", 0, metrics, worker::live, worker::ready)
                            .toCompletionStage()
                            .toCompletableFuture()
                            .get(30, TimeUnit.SECONDS);
            int port = management.port();
            assertThat(get(port, "/health/live").statusCode()).isEqualTo(503);
            assertThat(get(port, "/health/ready").statusCode()).isEqualTo(503);

            vertx.deployVerticle(worker)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(2, TimeUnit.MINUTES);
            assertThat(get(port, "/health/live").statusCode()).isEqualTo(200);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (get(port, "/health/ready").statusCode() != 200) {
                assertThat(System.nanoTime()).as("ready within 60 s").isLessThan(deadline);
                Thread.sleep(200);
            }
            // The model came from S3 into the cache, under its checksum.
            try (var cached = Files.walk(dir.resolve("models"))) {
                assertThat(cached.filter(Files::isRegularFile).toList())
                        .containsExactly(
                                dir.resolve("models")
                                        .resolve(sha256.substring(0, 16))
                                        .resolve("reference.onnx"));
            }

            Properties client = new Properties();
            client.put("bootstrap.servers", servers.bootstrapServers());
            try (KafkaProducer<String, byte[]> producer =
                    new KafkaProducer<>(
                            client, new StringSerializer(), new ByteArraySerializer())) {
                for (String id : List.of("m-ok", "m-missing")) {
                    InpaintJob job =
                            InpaintJob.of(
                                    id,
                                    new ObjectRef(
                                            run,
                                            id.equals("m-ok") ? "in/coffee.png" : "in/none.png"),
                                    new ObjectRef(run, "in/coffee.mask.png"));
                    String lane = id.equals("m-ok") ? run + ".interactive" : run + ".jobs";
                    producer.send(new ProducerRecord<>(lane, id, JsonCodec.encode(job))).get();
                }
            }
            try (ResultsReader<InpaintResult> results =
                    new ResultsReader<>(
                            servers.bootstrapServers(),
                            run + ".results",
                            JsonCodec::decodeResult)) {
                Map<String, InpaintResult> byId =
                        results.await(Set.of("m-ok", "m-missing"), Duration.ofMinutes(2));
                assertThat(byId.get("m-ok").status()).isEqualTo(JobStatus.SUCCEEDED);
            }
            try (ResultsReader<LatencyEvent> events =
                    new ResultsReader<>(
                            servers.bootstrapServers(), run + ".events", JsonCodec::decodeEvent)) {
                assertThat(
                                events.await(Set.of("m-ok"), Duration.ofMinutes(1))
                                        .get("m-ok")
                                        .modelId())
                        .startsWith("reference.onnx@");
            }
            // Results are counted just after they are acknowledged.
            String text = "";
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!text.contains("code=\"IMAGE_NOT_FOUND\"")) {
                assertThat(System.nanoTime()).as("metrics within 30 s").isLessThan(deadline);
                HttpResponse<String> scrape = get(port, "/metrics");
                assertThat(scrape.statusCode()).isEqualTo(200);
                text = scrape.body();
                Thread.sleep(200);
            }
            assertThat(text)
                    .contains("lama_jobs_total{code=\"none\",status=\"SUCCEEDED\"} 1.0")
                    .contains("lama_jobs_total{code=\"IMAGE_NOT_FOUND\",status=\"FAILED\"} 1.0")
                    .contains("lama_stage_duration_seconds_bucket{stage=\"inference\"")
                    .contains("lama_inference_queue_depth")
                    .contains("lama_jobs_in_flight")
                    .contains("lama_memory_reserved_bytes")
                    .contains("lama_memory_budget_bytes")
                    .contains("lama_partitions_paused")
                    .contains("lama_backlog_oldest_age_seconds ")
                    .contains("lama_backlog_partition_oldest_age_seconds{partition=\"0\"")
                    .contains("lama_inference_busy_seconds_total")
                    .contains("lama_inference_batch_size_count")
                    .contains("kafka_consumer_fetch_manager_records_lag_max");
            // Per lane: one job taken from each, none waiting, neither paused, queue times (each
            // recorded just after its result is counted).
            String laneText = text;
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!laneText.contains("lama_lane_queued_seconds_count{lane=\"" + run + ".jobs\"}")
                    || !laneText.contains(
                            "lama_lane_queued_seconds_count{lane=\"" + run + ".interactive\"}")) {
                assertThat(System.nanoTime()).as("lane metrics within 30 s").isLessThan(deadline);
                Thread.sleep(200);
                laneText = get(port, "/metrics").body();
            }
            for (String lane : List.of(run + ".interactive", run + ".jobs")) {
                String tag = "{lane=\"" + lane + "\"}";
                assertThat(laneText)
                        .contains("lama_lane_jobs_admitted_total" + tag + " 1.0")
                        .contains("lama_lane_waiting" + tag + " 0.0")
                        .contains("lama_lane_paused" + tag + " 0.0")
                        .contains("lama_lane_queued_seconds_count" + tag + " 1");
            }
            assertThat(get(port, "/nothing").statusCode()).isEqualTo(404);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
        }
    }

    @Test
    void aModelWhoseChecksumDiffersStopsTheStart(@TempDir Path dir) throws Exception {
        TestServers servers = TestServers.get();
        String run = "mgmt-" + UUID.randomUUID().toString().substring(0, 8);
        servers.createTopics(Map.of(run + ".jobs", 1, run + ".results", 1, run + ".events", 1));
        servers.createBucket(run);
        servers.put(run, "models/reference.onnx", ReferenceFillModel.build());
        Map<String, String> settings = servers.workerSettings(run, run);
        settings.put("model.path", "s3://" + run + "/models/reference.onnx");
        settings.put("model.sha256", "0".repeat(64));
        settings.put("model.cacheDir", dir.toString());
        Vertx vertx = Vertx.vertx();
        try {
            assertThatThrownBy(
                            () ->
                                    vertx.deployVerticle(
                                                    new WorkerVerticle(
                                                            ConfigLoader.load(
                                                                    null, Map.of(), settings)))
                                            .toCompletionStage()
                                            .toCompletableFuture()
                                            .get(2, TimeUnit.MINUTES))
                    .hasMessageContaining("model.sha256");
            try (var left = Files.walk(dir)) {
                assertThat(left.filter(Files::isRegularFile).toList())
                        .as("nothing unverified is kept")
                        .isEmpty();
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
        }
    }
}
