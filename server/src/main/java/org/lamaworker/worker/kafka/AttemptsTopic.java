package org.lamaworker.worker.kafka;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.lamaworker.worker.config.WorkerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link StartLedger} on a compacted Kafka topic ({@code topics.attempts}), keyed by job id.
 * Kafka because every worker already talks to it, a write acknowledged by all in-sync replicas
 * outlives the process that made it, and compaction keeps one record per job, which the tombstone
 * written after the job's result removes: the topic holds the jobs under way, not history.
 *
 * <p>{@link #start} creates the topic when it is missing, then a thread of its own ({@code
 * lama-attempts-reader}, the only user of its consumer) reads the topic from the beginning, without
 * a consumer group; the start completes once it has reached the end, and the thread then follows
 * the topic until {@link #close}. The view is eventually consistent: another worker's write is seen
 * once read, within a poll. That is enough here: a job comes back to the fleet only after its dead
 * worker's session timed out, seconds after the write; and this process's own writes count at once
 * (each entry keeps its offset, so a write is never undone by the reader catching up behind it). It
 * creates its producer and consumer and closes both.
 */
public final class AttemptsTopic implements StartLedger {
    private static final Logger LOG = LoggerFactory.getLogger(AttemptsTopic.class);

    /**
     * What the worker creates the topic with: compact, roll and drop tombstones within the hour.
     */
    static final Map<String, String> TOPIC_CONFIG =
            Map.of(
                    TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                    TopicConfig.SEGMENT_MS_CONFIG, "600000",
                    TopicConfig.DELETE_RETENTION_MS_CONFIG, "3600000");

    /**
     * The last value seen per key and its offset; {@code value} null for a tombstone not yet read.
     */
    private record Entry(StartRecord value, long offset) {}

    private final Vertx vertx;
    private final String topic;
    private final String clientId;
    private final Map<String, Object> clientConfig;
    private final KafkaProducer<String, byte[]> producer;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> loaded = new CompletableFuture<>();
    private volatile KafkaConsumer<String, byte[]> reader;
    private volatile boolean closed;
    private Thread thread;

    /** A ledger on {@code kafka.attemptsTopic()}, with clients of its own; see {@link #start}. */
    public AttemptsTopic(Vertx vertx, WorkerConfig.Kafka kafka, String clientId) {
        this.vertx = vertx;
        this.topic = kafka.attemptsTopic();
        if (topic == null) {
            throw new IllegalArgumentException("topics.attempts is none");
        }
        Map<String, Object> common = new HashMap<>(kafka.clientProperties());
        common.put("bootstrap.servers", kafka.bootstrapServers());
        this.clientConfig = Map.copyOf(common);
        Map<String, String> producerConfig = new HashMap<>(kafka.clientProperties());
        producerConfig.put("bootstrap.servers", kafka.bootstrapServers());
        producerConfig.put("client.id", clientId + "-attempts");
        producerConfig.put("key.serializer", StringSerializer.class.getName());
        producerConfig.put("value.serializer", ByteArraySerializer.class.getName());
        producerConfig.put("acks", "all");
        producerConfig.put("enable.idempotence", "true");
        producerConfig.put("linger.ms", "0");
        this.producer = KafkaProducer.create(vertx, producerConfig);
        this.clientId = clientId;
    }

    /** The topic's name. */
    public String topic() {
        return topic;
    }

    /**
     * Creates the topic if missing and reads it to its end; completes on the caller's context once
     * every record written before the call has been seen.
     */
    public Future<Void> start() {
        thread = new Thread(this::readForever, "lama-attempts-reader");
        thread.setDaemon(true);
        thread.start();
        Context context = vertx.getOrCreateContext();
        return Future.fromCompletionStage(loaded, context);
    }

    @Override
    public StartRecord latest(String jobId) {
        Entry entry = entries.get(jobId);
        return entry == null ? null : entry.value();
    }

    @Override
    public Future<Void> write(String jobId, StartRecord record) {
        return producer.send(
                        KafkaProducerRecord.create(
                                topic, jobId, record == null ? null : record.encode()))
                .map(
                        metadata -> {
                            apply(jobId, record, metadata.getOffset(), true);
                            return null;
                        });
    }

    /** Jobs with a record seen now: the jobs under way in the fleet, and crashed ones. */
    public int size() {
        return (int) entries.values().stream().filter(e -> e.value() != null).count();
    }

    /**
     * Keeps the newer of what is known and what came in; the reader drops an entry at its
     * tombstone, a write keeps a tombstone's offset until the reader has passed it.
     */
    private void apply(String jobId, StartRecord value, long offset, boolean ownWrite) {
        entries.compute(
                jobId,
                (key, current) -> {
                    if (current != null
                            && (ownWrite
                                    ? current.offset() >= offset
                                    : current.offset() > offset)) {
                        return current;
                    }
                    return value == null && !ownWrite ? null : new Entry(value, offset);
                });
    }

    private void readForever() {
        try {
            Map<String, Object> config = new HashMap<>(clientConfig);
            config.put("client.id", clientId + "-attempts-reader");
            config.put("enable.auto.commit", "false");
            config.remove("group.id");
            config.remove("group.protocol");
            reader =
                    new KafkaConsumer<>(
                            config, new StringDeserializer(), new ByteArrayDeserializer());
            Map<TopicPartition, Long> end = assignWholeTopic();
            long read = 0;
            while (!closed) {
                for (ConsumerRecord<String, byte[]> record : reader.poll(Duration.ofMillis(200))) {
                    read++;
                    take(record);
                }
                if (!loaded.isDone() && reachedEnd(end)) {
                    LOG.info(
                            "Read the attempts topic {}: {} records, {} jobs under way or crashed",
                            topic,
                            read,
                            size());
                    loaded.complete(null);
                }
            }
        } catch (WakeupException e) {
            if (!closed) {
                loaded.completeExceptionally(e);
            }
        } catch (Exception e) {
            LOG.error("Reading the attempts topic {} failed: {}", topic, e.toString());
            loaded.completeExceptionally(
                    new IllegalStateException(
                            "cannot read the attempts topic "
                                    + topic
                                    + " (topics.attempts; none turns the poison-job quarantine"
                                    + " off): "
                                    + e.getMessage(),
                            e));
        } finally {
            KafkaConsumer<String, byte[]> consumer = reader;
            if (consumer != null) {
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            }
        }
    }

    /**
     * Creates the topic if needed, assigns all its partitions from their beginnings, and returns
     * their ends. A broker that does not answer is waited for (readiness names this stage); one
     * that refuses fails the start.
     */
    private Map<TopicPartition, Long> assignWholeTopic() throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            if (closed) {
                throw new WakeupException();
            }
            try {
                createIfMissing();
                List<TopicPartition> partitions =
                        reader.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                                .map(PartitionInfo::partition)
                                .map(p -> new TopicPartition(topic, p))
                                .toList();
                // Empty just after creation, until the metadata reaches the broker answering.
                if (!partitions.isEmpty()) {
                    reader.assign(partitions);
                    reader.seekToBeginning(partitions);
                    return reader.endOffsets(partitions, Duration.ofSeconds(30));
                }
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                LOG.warn(
                        "The broker did not answer about the attempts topic {} ({}); asking again",
                        topic,
                        e.getMessage());
            }
            Thread.sleep(Math.min(5_000, 100L * attempt));
        }
    }

    private boolean reachedEnd(Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> partition : end.entrySet()) {
            if (reader.position(partition.getKey()) < partition.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void take(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        StartRecord value = null;
        if (record.value() != null) {
            try {
                value = StartRecord.decode(record.value());
            } catch (IllegalArgumentException e) {
                LOG.warn(
                        "Skipping a record of {} for key {} at {}: {}",
                        topic,
                        record.key(),
                        record.offset(),
                        e.getMessage());
                return;
            }
        }
        apply(record.key(), value, record.offset(), false);
    }

    /**
     * Creates the topic compacted when it does not exist; warns when it exists without compaction,
     * since tombstones then do not bound it.
     */
    private void createIfMissing() throws InterruptedException {
        try (Admin admin = Admin.create(clientConfig)) {
            try {
                admin.createTopics(
                                List.of(
                                        new NewTopic(topic, Optional.empty(), Optional.empty())
                                                .configs(TOPIC_CONFIG)))
                        .all()
                        .get(30, TimeUnit.SECONDS);
                LOG.info("Created the attempts topic {} ({})", topic, TOPIC_CONFIG);
                return;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException t) {
                    throw t;
                }
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException(
                            "it is missing and could not be created ("
                                    + e.getCause().getMessage()
                                    + "); create it with cleanup.policy=compact",
                            e.getCause());
                }
            } catch (java.util.concurrent.TimeoutException e) {
                throw new org.apache.kafka.common.errors.TimeoutException(
                        "no answer to creating it within 30 s", e);
            }
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            try {
                Config config =
                        admin.describeConfigs(List.of(resource))
                                .all()
                                .get(30, TimeUnit.SECONDS)
                                .get(resource);
                var policy = config.get(TopicConfig.CLEANUP_POLICY_CONFIG);
                if (policy == null
                        || !policy.value().contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
                    LOG.warn(
                            "The attempts topic {} is not compacted (cleanup.policy={}): set"
                                    + " cleanup.policy=compact so that it stays bounded",
                            topic,
                            policy == null ? "?" : policy.value());
                }
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                // Describing configs may be refused where reading the topic is allowed.
                LOG.debug("Could not check {}'s cleanup policy: {}", topic, e.toString());
            }
        }
    }

    /** Stops the reader thread and closes both clients. */
    public Future<Void> close() {
        closed = true;
        KafkaConsumer<String, byte[]> consumer = reader;
        if (consumer != null) {
            try {
                consumer.wakeup();
            } catch (IllegalStateException alreadyClosed) {
                // The reader thread ended on its own.
            }
        }
        loaded.completeExceptionally(new IllegalStateException("closed"));
        return producer.close()
                .eventually(
                        () ->
                                vertx.executeBlocking(
                                        () -> {
                                            if (thread != null) {
                                                thread.join(10_000);
                                            }
                                            return null;
                                        },
                                        false))
                .mapEmpty();
    }
}
