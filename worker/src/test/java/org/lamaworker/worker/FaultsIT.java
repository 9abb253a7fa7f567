package org.lamaworker.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.worker.app.WorkerVerticle;
import org.lamaworker.worker.config.ConfigLoader;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.image.ImageCodec;
import org.lamaworker.worker.testing.CoffeeJobs;
import org.lamaworker.worker.testing.Corpus;
import org.lamaworker.worker.testing.ResultLog;
import org.lamaworker.worker.tools.embedded.EmbeddedKafka;
import org.lamaworker.worker.tools.embedded.EmbeddedS3;

/**
 * The worker under faults of its servers, with a broker and an S3 server of its own that the test
 * can stop: storage gone for 30 s mid-run, then the broker restarted mid-run. Every job still ends
 * with a SUCCEEDED result, duplicates stay within the jobs in flight at the faults, and every
 * output decodes.
 */
class FaultsIT {
    private static final String BUCKET = "faults";
    private static final String ACCESS_KEY = "faults";
    private static final String SECRET = "faults-secret-0123456789";
    private static final int JOBS = 24;
    private static final int MAX_IN_FLIGHT = 2;

    @Test
    void storageOutageAndBrokerRestartLoseNoJob(@TempDir Path dir) throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"));
        EmbeddedS3 s3 = EmbeddedS3.startFilesystem(dir.resolve("s3"), ACCESS_KEY, SECRET);
        int s3Port = s3.endpoint().getPort();
        Vertx vertx = Vertx.vertx();
        try {
            kafka.createTopics(Map.of("jobs", 2, "results", 2, "events", 1));
            s3.createBucket(BUCKET);
            MinioClient minio =
                    MinioClient.builder()
                            .endpoint(s3.endpoint().toString())
                            .credentials(ACCESS_KEY, SECRET)
                            .build();
            for (String name : List.of("coffee.png", "coffee.mask.png")) {
                byte[] bytes = Corpus.bytes(name);
                minio.putObject(
                        PutObjectArgs.builder().bucket(BUCKET).object("in/" + name).stream(
                                        new ByteArrayInputStream(bytes), bytes.length, -1)
                                .build());
            }
            Map<String, String> settings = new HashMap<>();
            settings.put("kafka.bootstrap.servers", kafka.bootstrapServers());
            settings.put("kafka.group.id", "faults");
            settings.put("s3.endpoint", s3.endpoint().toString());
            settings.put("s3.accessKey", ACCESS_KEY);
            settings.put("s3.secretKey", SECRET);
            settings.put("topics.jobs", "jobs");
            settings.put("topics.results", "results");
            settings.put("topics.events", "events");
            settings.put("worker.maxInFlight", String.valueOf(MAX_IN_FLIGHT));
            WorkerConfig config = ConfigLoader.load(null, Map.of(), settings);
            vertx.deployVerticle(new WorkerVerticle(config))
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(2, TimeUnit.MINUTES);

            CoffeeJobs.produce(kafka.bootstrapServers(), "jobs", BUCKET, "fault-", JOBS);

            List<InpaintResult> results;
            try (ResultLog log = new ResultLog(kafka.bootstrapServers(), "results", false)) {
                log.awaitDistinct(4);
                // Storage goes away for 30 s: jobs in flight retry with backoff (up to ~35 s).
                s3.close();
                Thread.sleep(30_000);
                s3 = EmbeddedS3.startFilesystem(dir.resolve("s3"), ACCESS_KEY, SECRET, s3Port);
                log.awaitDistinct(12);
                // The broker restarts: producer and consumer reconnect, uncommitted jobs return.
                kafka = kafka.restart();
                log.awaitDistinct(JOBS);
                results = log.settle(Duration.ofSeconds(3));
            }

            Map<String, List<InpaintResult>> byJob = new HashMap<>();
            results.forEach(r -> byJob.computeIfAbsent(r.jobId(), k -> new ArrayList<>()).add(r));
            assertThat(byJob).hasSize(JOBS);
            assertThat(results)
                    .allSatisfy(r -> assertThat(r.status()).isEqualTo(JobStatus.SUCCEEDED));
            // Jobs in flight when storage went away waited it out through retries.
            assertThat(results)
                    .anySatisfy(r -> assertThat(r.timings().total()).isGreaterThan(20_000));
            int duplicates = results.size() - JOBS;
            // At each of the two faults at most the jobs in flight, plus those fetched behind
            // them, can be done twice.
            assertThat(duplicates).isLessThanOrEqualTo(2 * 2 * MAX_IN_FLIGHT);
            MinioClient after =
                    MinioClient.builder()
                            .endpoint(s3.endpoint().toString())
                            .credentials(ACCESS_KEY, SECRET)
                            .build();
            for (List<InpaintResult> same : byJob.values()) {
                ObjectRef out =
                        new ObjectRef(same.get(0).output().bucket(), same.get(0).output().key());
                try (InputStream in =
                        after.getObject(
                                GetObjectArgs.builder()
                                        .bucket(out.bucket())
                                        .object(out.key())
                                        .build())) {
                    assertThat(
                                    ImageCodec.decode(in.readAllBytes(), "output", Long.MAX_VALUE)
                                            .width())
                            .isEqualTo(600);
                }
            }
            System.out.printf(
                    "FaultsIT: %d jobs, %d results, %d duplicates%n",
                    JOBS, results.size(), duplicates);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
            kafka.close();
            s3.close();
        }
    }
}
