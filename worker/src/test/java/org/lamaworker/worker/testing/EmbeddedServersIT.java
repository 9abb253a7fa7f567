package org.lamaworker.worker.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.errors.ErrorResponseException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.internals.Exit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lamaworker.worker.tools.embedded.EmbeddedKafka;
import org.lamaworker.worker.tools.embedded.EmbeddedS3;

class EmbeddedServersIT {
    private static final Duration POLL_LIMIT = Duration.ofSeconds(30);

    @Test
    void kafkaRoundTrip() throws Exception {
        TestServers servers = TestServers.get();
        String topic = "it-roundtrip-" + UUID.randomUUID();
        servers.createTopics(Map.of(topic, 2));
        servers.createTopics(Map.of(topic, 2)); // already exists: fine

        try (KafkaProducer<String, String> producer = producer(servers.bootstrapServers())) {
            producer.send(new ProducerRecord<>(topic, "job-1", "hello kafka"))
                    .get(30, TimeUnit.SECONDS);
        }
        List<ConsumerRecord<String, String>> records =
                consume(servers.bootstrapServers(), topic, 1);
        assertThat(records).hasSize(1);
        assertThat(records.get(0).key()).isEqualTo("job-1");
        assertThat(records.get(0).value()).isEqualTo("hello kafka");
    }

    @Test
    void s3RoundTripAndErrors() throws Exception {
        TestServers servers = TestServers.get();
        MinioClient client = minio(servers.s3Endpoint(), servers.accessKey(), servers.secretKey());
        String bucket = "it-" + UUID.randomUUID().toString().substring(0, 8);
        servers.createBucket(bucket);
        servers.createBucket(bucket); // already exists: fine
        assertThat(client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())).isTrue();

        byte[] bytes = new byte[300_000];
        new Random(42).nextBytes(bytes);
        put(client, bucket, "images/in.png", bytes);

        StatObjectResponse stat =
                client.statObject(
                        StatObjectArgs.builder().bucket(bucket).object("images/in.png").build());
        assertThat(stat.size()).isEqualTo(bytes.length);
        assertThat(get(client, bucket, "images/in.png")).isEqualTo(bytes);

        assertThatThrownBy(() -> get(client, bucket, "images/missing.png"))
                .isInstanceOfSatisfying(
                        ErrorResponseException.class,
                        e -> assertThat(e.errorResponse().code()).isEqualTo("NoSuchKey"));

        MinioClient wrongSecret =
                minio(servers.s3Endpoint(), servers.accessKey(), "wrong-secret-key");
        assertThatThrownBy(() -> get(wrongSecret, bucket, "images/in.png"))
                .isInstanceOfSatisfying(
                        ErrorResponseException.class,
                        e ->
                                assertThat(e.errorResponse().code())
                                        .isIn("SignatureDoesNotMatch", "AccessDenied"));
        assertThatThrownBy(
                        () ->
                                wrongSecret.makeBucket(
                                        MakeBucketArgs.builder().bucket(bucket + "-x").build()))
                .isInstanceOfSatisfying(
                        ErrorResponseException.class,
                        e -> assertThat(e.response().code()).isEqualTo(403));
    }

    @Test
    void filesystemS3KeepsObjectsAcrossRestart(@TempDir Path dir) throws Exception {
        byte[] bytes = "kept across restarts".getBytes(StandardCharsets.UTF_8);
        try (EmbeddedS3 s3 = EmbeddedS3.startFilesystem(dir, "dev-access", "dev-secret-key")) {
            s3.createBucket("keep");
            s3.createBucket("keep");
            put(
                    minio(s3.endpoint().toString(), "dev-access", "dev-secret-key"),
                    "keep",
                    "a/b.bin",
                    bytes);
        }
        try (EmbeddedS3 s3 = EmbeddedS3.startFilesystem(dir, "dev-access", "dev-secret-key")) {
            s3.createBucket("keep");
            MinioClient client = minio(s3.endpoint().toString(), "dev-access", "dev-secret-key");
            assertThat(get(client, "keep", "a/b.bin")).isEqualTo(bytes);
        }
    }

    @Test
    void embeddedKafkaRestartsOnSameDirectory(@TempDir Path dir) throws Exception {
        String topic = "kept-topic";
        String clusterId;
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
            clusterId = kafka.clusterId();
            // A fatal broker error calls Kafka's Exit: it must throw, not end the test JVM.
            assertThatThrownBy(() -> Exit.halt(70, "simulated fatal error"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("simulated fatal error");
            kafka.createTopics(Map.of(topic, 3));
            try (KafkaProducer<String, String> producer = producer(kafka.bootstrapServers())) {
                producer.send(new ProducerRecord<>(topic, "k", "before restart"))
                        .get(30, TimeUnit.SECONDS);
            }
        }
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
            assertThat(kafka.clusterId()).isEqualTo(clusterId);
            try (Admin admin =
                    Admin.create(
                            Map.of(
                                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                    kafka.bootstrapServers()))) {
                Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
                assertThat(names).contains(topic);
                assertThat(
                                admin.describeTopics(Set.of(topic))
                                        .allTopicNames()
                                        .get(30, TimeUnit.SECONDS)
                                        .get(topic)
                                        .partitions())
                        .hasSize(3);
            }
            kafka.createTopics(Map.of(topic, 3)); // already exists: fine
            List<ConsumerRecord<String, String>> records =
                    consume(kafka.bootstrapServers(), topic, 1);
            assertThat(records).extracting(ConsumerRecord::value).containsExactly("before restart");
        }
    }

    private static KafkaProducer<String, String> producer(String bootstrapServers) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(props);
    }

    private static List<ConsumerRecord<String, String>> consume(
            String bootstrapServers, String topic, int expected) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + POLL_LIMIT.toNanos();
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    private static MinioClient minio(String endpoint, String accessKey, String secretKey) {
        return MinioClient.builder()
                .endpoint(endpoint)
                .credentials(accessKey, secretKey)
                .region("us-east-1")
                .build();
    }

    private static void put(MinioClient client, String bucket, String key, byte[] bytes)
            throws Exception {
        client.putObject(
                PutObjectArgs.builder().bucket(bucket).object(key).stream(
                                new ByteArrayInputStream(bytes), bytes.length, -1)
                        .contentType("application/octet-stream")
                        .build());
    }

    private static byte[] get(MinioClient client, String bucket, String key) throws Exception {
        try (GetObjectResponse response =
                client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            return response.readAllBytes();
        }
    }
}
