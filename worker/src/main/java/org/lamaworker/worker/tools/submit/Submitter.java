package org.lamaworker.worker.tools.submit;

import io.minio.BucketExistsArgs;
import io.minio.DownloadObjectArgs;
import io.minio.MinioClient;
import io.minio.UploadObjectArgs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.lamaworker.protocol.InpaintJob;
import org.lamaworker.protocol.InpaintResult;
import org.lamaworker.protocol.JobStatus;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.ObjectRef;
import org.lamaworker.worker.app.OptionArguments;

/**
 * A job producer: uploads pictures to S3, produces jobs, waits for their results on the results
 * topic and downloads the outputs. What {@code submit} runs; plain Kafka and MinIO clients, no
 * Vert.x, as any producer application would use.
 */
public final class Submitter implements AutoCloseable {
    /** Connection settings. */
    public record Target(
            String bootstrapServers,
            String s3Endpoint,
            String accessKey,
            String secretKey,
            String bucket,
            String jobsTopic,
            String resultsTopic) {}

    /**
     * One picture to edit.
     *
     * @param jobId the job's id
     * @param image local picture
     * @param mask local mask
     * @param out where to save the result
     */
    public record Request(String jobId, Path image, Path mask, Path out) {}

    /**
     * What came back for a request.
     *
     * @param request the request
     * @param result its result, or {@code null} when none came before the timeout
     */
    public record Outcome(Request request, InpaintResult result) {
        /** Whether the job succeeded and its output was saved. */
        public boolean succeeded() {
            return result != null && result.status() == JobStatus.SUCCEEDED;
        }
    }

    /** Thrown when Kafka or S3 cannot be reached or used. */
    public static final class ConnectionException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ConnectionException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);

    private final Target target;
    private final MinioClient s3;
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> results;

    /** Connects to S3 and Kafka, and starts listening for results before any job is sent. */
    public Submitter(Target target) {
        this.target = target;
        this.s3 =
                MinioClient.builder()
                        .endpoint(target.s3Endpoint())
                        .credentials(target.accessKey(), target.secretKey())
                        .build();
        try {
            if (!s3.bucketExists(BucketExistsArgs.builder().bucket(target.bucket()).build())) {
                throw new ConnectionException(
                        "bucket " + target.bucket() + " does not exist", null);
            }
        } catch (ConnectionException e) {
            throw e;
        } catch (Exception e) {
            throw new ConnectionException(
                    "S3 at "
                            + target.s3Endpoint()
                            + " is not usable: "
                            + e.getClass().getSimpleName()
                            + (e.getMessage() == null ? "" : " " + e.getMessage()),
                    e);
        }
        Properties common = new Properties();
        common.put("bootstrap.servers", target.bootstrapServers());
        Properties producerConfig = new Properties();
        producerConfig.putAll(common);
        producerConfig.put("acks", "all");
        producerConfig.put("max.block.ms", String.valueOf(CONNECT_TIMEOUT.toMillis()));
        this.producer =
                new KafkaProducer<>(
                        producerConfig, new StringSerializer(), new ByteArraySerializer());
        Properties consumerConfig = new Properties();
        consumerConfig.putAll(common);
        consumerConfig.put("enable.auto.commit", "false");
        this.results =
                new KafkaConsumer<>(
                        consumerConfig, new StringDeserializer(), new ByteArrayDeserializer());
        try {
            List<PartitionInfo> partitions =
                    results.partitionsFor(target.resultsTopic(), CONNECT_TIMEOUT);
            if (partitions == null || partitions.isEmpty()) {
                throw new ConnectionException(
                        "topic " + target.resultsTopic() + " does not exist", null);
            }
            List<TopicPartition> assignment = new ArrayList<>();
            partitions.forEach(p -> assignment.add(new TopicPartition(p.topic(), p.partition())));
            results.assign(assignment);
            results.seekToEnd(assignment);
            // Resolve the end positions now, so no result produced from here on is missed.
            assignment.forEach(results::position);
        } catch (ConnectionException e) {
            close();
            throw e;
        } catch (RuntimeException e) {
            close();
            throw new ConnectionException(
                    "Kafka at " + target.bootstrapServers() + " is not usable: " + e.getMessage(),
                    e);
        }
    }

    /**
     * Uploads each request's files, produces its job, and waits up to {@code timeout} for all
     * results; saves each output and reports every outcome to {@code onOutcome} as it arrives.
     */
    public List<Outcome> submit(
            List<Request> requests,
            Map<String, Object> options,
            Duration timeout,
            Consumer<Outcome> onOutcome)
            throws Exception {
        Map<String, Request> pending = new LinkedHashMap<>();
        for (Request request : requests) {
            String prefix = "uploads/" + request.jobId() + "/";
            ObjectRef image =
                    new ObjectRef(target.bucket(), prefix + request.image().getFileName());
            ObjectRef mask = new ObjectRef(target.bucket(), prefix + request.mask().getFileName());
            InpaintJob job = OptionArguments.job(request.jobId(), image, mask, options);
            upload(image, request.image());
            upload(mask, request.mask());
            producer.send(
                            new ProducerRecord<>(
                                    target.jobsTopic(), job.jobId(), JsonCodec.encode(job)))
                    .get();
            pending.put(request.jobId(), request);
        }
        List<Outcome> outcomes = new ArrayList<>();
        Map<String, InpaintResult> seen = new HashMap<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> record : results.poll(Duration.ofMillis(200))) {
                Request request = pending.get(record.key());
                if (request == null) {
                    continue; // another producer's job
                }
                InpaintResult result = JsonCodec.decodeResult(record.value());
                if (seen.putIfAbsent(result.jobId(), result) != null) {
                    continue; // a redelivered job's second result
                }
                if (result.status() == JobStatus.SUCCEEDED) {
                    download(result, request.out());
                }
                pending.remove(result.jobId());
                Outcome outcome = new Outcome(request, result);
                outcomes.add(outcome);
                onOutcome.accept(outcome);
            }
        }
        for (Request request : pending.values()) {
            Outcome outcome = new Outcome(request, null);
            outcomes.add(outcome);
            onOutcome.accept(outcome);
        }
        return outcomes;
    }

    private void upload(ObjectRef ref, Path file) throws Exception {
        s3.uploadObject(
                UploadObjectArgs.builder()
                        .bucket(ref.bucket())
                        .object(ref.key())
                        .filename(file.toString())
                        .contentType(contentType(file))
                        .build());
    }

    private void download(InpaintResult result, Path out) throws Exception {
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.deleteIfExists(out);
        s3.downloadObject(
                DownloadObjectArgs.builder()
                        .bucket(result.output().bucket())
                        .object(result.output().key())
                        .filename(out.toString())
                        .build());
    }

    private static String contentType(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".png")) {
            return "image/png";
        }
        if (name.endsWith(".jpg") || name.endsWith(".jpeg")) {
            return "image/jpeg";
        }
        if (name.endsWith(".webp")) {
            return "image/webp";
        }
        if (name.endsWith(".tif") || name.endsWith(".tiff")) {
            return "image/tiff";
        }
        return "application/octet-stream";
    }

    @Override
    public void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
        if (results != null) {
            results.close(
                    org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
        }
        try {
            s3.close();
        } catch (Exception e) {
            // nothing useful to report when closing an HTTP client
        }
    }
}
