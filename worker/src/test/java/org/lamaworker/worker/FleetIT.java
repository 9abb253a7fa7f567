package org.lamaworker.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.LatencyEvent;
import org.lamaworker.worker.image.ImageCodec;
import org.lamaworker.worker.testing.CoffeeJobs;
import org.lamaworker.worker.testing.Corpus;
import org.lamaworker.worker.testing.ResultLog;
import org.lamaworker.worker.testing.TestServers;
import org.lamaworker.worker.testing.WorkerProcess;

/**
 * Scale-out and a crash: three worker processes of the packaged jar in one consumer group share 300
 * jobs; one is killed with SIGKILL mid-run and started again. Every job ends with a SUCCEEDED
 * result, all three workers did work, duplicates stay within what was in flight, and every output
 * decodes.
 */
class FleetIT {
    private static final int JOBS = 300;
    private static final int WORKERS = 3;
    private static final int MAX_IN_FLIGHT = 2;

    @Test
    void threeWorkersShareTheJobsAndACrashLosesNone(@TempDir Path dir) throws Exception {
        TestServers servers = TestServers.get();
        String run = "fleet-" + UUID.randomUUID().toString().substring(0, 8);
        String bucket = run;
        servers.createTopics(Map.of(run + ".jobs", 6, run + ".results", 3, run + ".events", 1));
        servers.createBucket(bucket);
        for (String name : List.of("coffee.png", "coffee.mask.png")) {
            servers.put(bucket, "in/" + name, Corpus.bytes(name));
        }
        MinioClient s3 =
                MinioClient.builder()
                        .endpoint(servers.s3Endpoint())
                        .credentials(servers.accessKey(), servers.secretKey())
                        .build();

        List<WorkerProcess> workers = new ArrayList<>();
        try {
            for (int i = 0; i < WORKERS; i++) {
                workers.add(WorkerProcess.launch(dir, environment(servers, run, i)));
            }
            for (WorkerProcess worker : workers) {
                worker.awaitReady();
            }
            CoffeeJobs.produce(servers.bootstrapServers(), run + ".jobs", bucket, "fleet-", JOBS);

            List<InpaintResult> results;
            try (ResultLog log =
                    new ResultLog(servers.bootstrapServers(), run + ".results", false)) {
                log.awaitDistinct(JOBS / 5, () -> warnings(workers));
                workers.get(0).kill();
                workers.set(0, WorkerProcess.start(dir, environment(servers, run, 0)));
                log.awaitDistinct(JOBS, () -> warnings(workers));
                results = log.settle(Duration.ofSeconds(3));
            }

            Map<String, Integer> perJob = new HashMap<>();
            results.forEach(r -> perJob.merge(r.jobId(), 1, Integer::sum));
            assertThat(perJob).hasSize(JOBS);
            assertThat(results)
                    .allSatisfy(r -> assertThat(r.status()).isEqualTo(JobStatus.SUCCEEDED));
            int duplicates = results.size() - JOBS;
            // Redone at most: the killed worker's jobs in flight and those finished whose commit
            // had
            // not landed; on its return, the jobs in flight on the partitions that move back to it
            // (cooperative rebalancing leaves every other partition where it is).
            assertThat(duplicates).isLessThanOrEqualTo(4 * MAX_IN_FLIGHT);

            Set<String> workerIds = new HashSet<>();
            try (KafkaConsumer<String, byte[]> events =
                    reader(servers.bootstrapServers(), run + ".events", 1)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                Set<String> seen = new HashSet<>();
                while (seen.size() < JOBS && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, byte[]> r : events.poll(Duration.ofMillis(200))) {
                        LatencyEvent event = JsonCodec.decodeEvent(r.value());
                        seen.add(event.jobId());
                        workerIds.add(event.workerId());
                    }
                }
            }
            assertThat(workerIds).containsExactlyInAnyOrder(run + "-0", run + "-1", run + "-2");

            for (String jobId : perJob.keySet()) {
                try (InputStream in =
                        s3.getObject(
                                GetObjectArgs.builder()
                                        .bucket(bucket)
                                        .object("results/" + jobId + ".png")
                                        .build())) {
                    assertThat(
                                    ImageCodec.decode(in.readAllBytes(), "output", Long.MAX_VALUE)
                                            .height())
                            .isEqualTo(400);
                }
            }
            System.out.printf(
                    "FleetIT: %d jobs, %d results, %d duplicates, workers %s%n",
                    JOBS, results.size(), duplicates, workerIds);

            // SIGTERM mid-run: the stopping worker finishes its jobs in flight and commits them,
            // so nothing it started is done again; what it had fetched goes to the others.
            try (ResultLog log =
                    new ResultLog(servers.bootstrapServers(), run + ".results", true)) {
                List<String> late =
                        CoffeeJobs.produce(
                                servers.bootstrapServers(), run + ".jobs", bucket, "late-", 30);
                Predicate<String> isLate = id -> id.startsWith("late-");
                log.awaitDistinct(5, isLate, () -> warnings(workers));
                assertThat(workers.get(1).terminate(60)).as("SIGTERM ends the worker").isTrue();
                // The JVM reports an exit by SIGTERM as 143 once its shutdown hook has run.
                assertThat(workers.get(1).exitValue()).isIn(0, 143);
                assertThat(workers.get(1).output())
                        .contains("Stopping")
                        .doesNotContain("still in flight");
                log.awaitDistinct(late.size(), isLate, () -> warnings(workers));
                List<InpaintResult> after = log.settle(Duration.ofSeconds(3));
                List<String> lateResults =
                        after.stream().map(InpaintResult::jobId).filter(isLate).toList();
                assertThat(lateResults)
                        .as("no job redone after a graceful stop")
                        .hasSameSizeAs(late);
                // The log also holds results of the first 300 jobs that came after that phase
                // settled (redone once the restarted worker took its partitions back): they are
                // not late jobs redone.
                System.out.printf(
                        "FleetIT: %d late jobs, %d results; %d late results of the first jobs%n",
                        late.size(), lateResults.size(), after.size() - lateResults.size());
            }
        } finally {
            for (WorkerProcess worker : workers) {
                worker.close();
            }
        }
    }

    /** Each worker's last warnings and errors, for a timeout's message. */
    private static String warnings(List<WorkerProcess> workers) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < workers.size(); i++) {
            out.append("\n--- worker ").append(i).append(" warnings:\n");
            out.append(workers.get(i).warnings(40));
        }
        return out.toString();
    }

    private static Map<String, String> environment(TestServers servers, String run, int index) {
        Map<String, String> env = new HashMap<>();
        env.put("LAMA_KAFKA_BOOTSTRAP_SERVERS", servers.bootstrapServers());
        env.put("LAMA_KAFKA_GROUP_ID", run);
        // A killed member is noticed after 6 s instead of the client's default 45 s.
        env.put("LAMA_KAFKA_SESSION_TIMEOUT_MS", "6000");
        env.put("LAMA_KAFKA_HEARTBEAT_INTERVAL_MS", "1000");
        env.put("LAMA_S3_ENDPOINT", servers.s3Endpoint());
        env.put("LAMA_S3_ACCESS_KEY", servers.accessKey());
        env.put("LAMA_S3_SECRET_KEY", servers.secretKey());
        env.put("LAMA_TOPICS_JOBS", run + ".jobs");
        env.put("LAMA_TOPICS_RESULTS", run + ".results");
        env.put("LAMA_TOPICS_EVENTS", run + ".events");
        env.put("LAMA_WORKER_ID", run + "-" + index);
        env.put("LAMA_WORKER_MAX_IN_FLIGHT", String.valueOf(MAX_IN_FLIGHT));
        env.put("LAMA_INFERENCE_THREADS", "1");
        env.put("LAMA_MANAGEMENT_PORT", "0"); // three on one host: a free port each
        return env;
    }

    private static KafkaConsumer<String, byte[]> reader(
            String bootstrap, String topic, int partitions) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> all = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            all.add(new TopicPartition(topic, p));
        }
        consumer.assign(all);
        consumer.seekToBeginning(all);
        return consumer;
    }
}
