package org.lamaworker.worker.tools.bench;

import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.lamaworker.worker.app.WorkerVerticle;
import org.lamaworker.worker.config.Secret;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.tools.embedded.EmbeddedKafka;
import org.lamaworker.worker.tools.embedded.EmbeddedS3;

/**
 * What the end-to-end phases run against, so that they measure the real worker and nothing staged:
 * an in-process Kafka broker and S3 server with the workload's pictures uploaded, and the real
 * worker verticle, {@code --workers} of them in one consumer group, deployed against them. Every
 * end-to-end mode (one timed phase, interleaved rounds, soak) runs its body inside {@link #run}.
 */
final class WorkerHarness {
    /** The bucket the pictures are uploaded to and the jobs point at. */
    static final String BUCKET = "bench";

    private static final String ACCESS_KEY = "bench";

    /** A body run against the started workers. */
    @FunctionalInterface
    interface Body<T> {
        T run(String bootstrap, Workers workers) throws Exception;
    }

    /** The workers of one run, in one consumer group. */
    record Workers(List<WorkerVerticle> all) {
        /** Nanoseconds the workers' runners have spent in {@code session.run}, all together. */
        long busyNanos() {
            return all.stream().mapToLong(WorkerVerticle::inferenceBusyNanos).sum();
        }

        int runners() {
            return all.stream().mapToInt(WorkerVerticle::runnerCount).sum();
        }
    }

    private final Workload workload;
    private final int workerCount;
    private final PrintWriter err;

    /** {@code err} is where the clients report failed jobs. */
    WorkerHarness(Workload workload, int workerCount, PrintWriter err) {
        this.workload = workload;
        this.workerCount = workerCount;
        this.err = err;
    }

    Workload workload() {
        return workload;
    }

    /** The bench's clients of the broker at {@code bootstrap}, for this harness's workload. */
    JobClients openClients(String bootstrap) {
        return JobClients.open(bootstrap, workload, err);
    }

    /**
     * Starts Kafka and S3 with the samples uploaded, deploys the workers against them, runs {@code
     * body}, and stops it all.
     */
    <T> T run(Body<T> body) throws Exception {
        Path data = Files.createTempDirectory("lama-bench");
        String secret = Long.toHexString(System.nanoTime());
        // Objects on disk, not in this process's memory: a soak's outputs must not count as the
        // worker's growth.
        try (EmbeddedKafka kafka = EmbeddedKafka.start(data.resolve("kafka"));
                EmbeddedS3 s3 =
                        EmbeddedS3.startFilesystem(data.resolve("s3"), ACCESS_KEY, secret)) {
            Map<String, Integer> topics = new java.util.HashMap<>();
            workload.config().kafka().lanes().forEach(lane -> topics.put(lane.topic(), 6));
            topics.put("inpaint.results", 3);
            topics.put("inpaint.events", 1);
            kafka.createTopics(topics);
            s3.createBucket(BUCKET);
            MinioClient minio =
                    MinioClient.builder()
                            .endpoint(s3.endpoint().toString())
                            .credentials(ACCESS_KEY, secret)
                            .build();
            for (Sample s : workload.samples()) {
                put(minio, "in/" + s.name(), s.image());
                put(minio, "in/" + s.name() + ".mask.png", s.mask());
            }
            WorkerConfig config =
                    workload.config()
                            .withServers(
                                    kafka.bootstrapServers(),
                                    s3.endpoint(),
                                    ACCESS_KEY,
                                    Secret.of(secret));
            Vertx vertx = Vertx.vertx();
            List<WorkerVerticle> workers = new ArrayList<>();
            for (int i = 0; i < workerCount; i++) {
                workers.add(new WorkerVerticle(config.withWorkerId("bench-" + i)));
            }
            try {
                for (WorkerVerticle worker : workers) {
                    vertx.deployVerticle(worker)
                            .toCompletionStage()
                            .toCompletableFuture()
                            .get(5, TimeUnit.MINUTES);
                }
                return body.run(kafka.bootstrapServers(), new Workers(workers));
            } finally {
                vertx.close().toCompletionStage().toCompletableFuture().get(2, TimeUnit.MINUTES);
                minio.close();
            }
        } finally {
            deleteRecursively(data);
        }
    }

    private static void put(MinioClient minio, String key, byte[] bytes) throws Exception {
        minio.putObject(
                PutObjectArgs.builder().bucket(BUCKET).object(key).stream(
                                new ByteArrayInputStream(bytes), bytes.length, -1)
                        .build());
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
