package org.lamaworker.worker.tools.embedded;

import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import org.lamaworker.worker.app.Tooling;
import org.lamaworker.worker.config.Secret;
import org.lamaworker.worker.config.WorkerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded Kafka broker and S3 server of development mode, with the topics and bucket the
 * worker needs. Only {@code run} with nothing configured uses this.
 */
public final class DevServers implements Tooling.LocalStack {
    private static final Logger LOG = LoggerFactory.getLogger(DevServers.class);
    private static final int PARTITIONS = 3;
    private static final String ACCESS_KEY = "lama-local";

    private final EmbeddedKafka kafka;
    private final EmbeddedS3 s3;
    private final String secretKey;
    private final String bucket;

    private DevServers(EmbeddedKafka kafka, EmbeddedS3 s3, String secretKey, String bucket) {
        this.kafka = kafka;
        this.s3 = s3;
        this.secretKey = secretKey;
        this.bucket = bucket;
    }

    public static DevServers start(WorkerConfig config) {
        Path dir = config.embeddedDir().toAbsolutePath();
        LOG.warn("No Kafka or S3 configured: starting embedded development servers under {}", dir);
        byte[] random = new byte[12];
        new SecureRandom().nextBytes(random);
        String secret = HexFormat.of().formatHex(random);
        EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"));
        try {
            WorkerConfig.Kafka k = config.kafka();
            Map<String, Integer> topics = new java.util.HashMap<>();
            k.lanes().forEach(lane -> topics.put(lane.topic(), PARTITIONS));
            topics.put(k.resultsTopic(), PARTITIONS);
            topics.put(k.eventsTopic(), PARTITIONS);
            topics.put(k.deadLetterTopic(), 1);
            kafka.createTopics(topics);
            EmbeddedS3 s3 = EmbeddedS3.startFilesystem(dir.resolve("s3"), ACCESS_KEY, secret);
            try {
                s3.createBucket(config.storage().bucket());
                return new DevServers(kafka, s3, secret, config.storage().bucket());
            } catch (RuntimeException e) {
                s3.close();
                throw e;
            }
        } catch (RuntimeException e) {
            kafka.close();
            throw e;
        }
    }

    @Override
    public WorkerConfig apply(WorkerConfig config) {
        return config.withServers(
                kafka.bootstrapServers(), endpoint(), ACCESS_KEY, Secret.of(secretKey));
    }

    private URI endpoint() {
        return s3.endpoint();
    }

    @Override
    public java.util.Map<String, String> workerEnvironment() {
        return java.util.Map.of(
                "LAMA_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "LAMA_S3_ENDPOINT", endpoint().toString(),
                "LAMA_S3_BUCKET", bucket,
                "LAMA_S3_ACCESS_KEY", ACCESS_KEY,
                "LAMA_S3_SECRET_KEY", secretKey);
    }

    /** The one line that tells a developer how to reach the servers (development secrets only). */
    @Override
    public String describe() {
        return "kafka="
                + kafka.bootstrapServers()
                + " s3="
                + endpoint()
                + " bucket="
                + bucket
                + " access-key="
                + ACCESS_KEY
                + " secret-key="
                + secretKey;
    }

    @Override
    public void close() {
        try {
            s3.close();
        } catch (Exception e) {
            LOG.warn("Embedded S3 did not stop cleanly: {}", e.toString());
        }
        try {
            kafka.close();
        } catch (Exception e) {
            LOG.warn("Embedded Kafka did not stop cleanly: {}", e.toString());
        }
    }
}
