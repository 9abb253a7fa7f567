package org.lamaworker.worker.console;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.lamaworker.protocol.JsonCodec;
import org.lamaworker.protocol.LatencyEvent;
import org.lamaworker.worker.config.WorkerConfig;
import org.lamaworker.worker.kafka.StartRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the results, events and attempts topics for the console, on a thread of its own ({@code
 * lama-console-follower}, the only user of its consumer): results finish the console's jobs, start
 * records mark them running, latency events feed the fleet view. No consumer group: it assigns
 * every partition itself and starts at the end, since only what happens from now on concerns it (a
 * partition that appears later, on a topic created after the start, is read from its beginning). It
 * never creates topics. It creates its consumer and closes it.
 */
final class TopicFollower {
    private static final Logger LOG = LoggerFactory.getLogger(TopicFollower.class);

    /** How often it looks for topics or partitions it has not seen yet. */
    private static final long REFRESH_MILLIS = 10_000;

    private final Map<String, Object> config;
    private final String resultsTopic;
    private final String eventsTopic;
    private final String attemptsTopic;
    private final ConsoleJobs jobs;
    private final FleetView fleet;
    private final LongSupplier clock;
    private final CompletableFuture<Void> positioned = new CompletableFuture<>();
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile boolean closed;
    private Thread thread;

    /** Why following stopped, or {@code null} while it runs. */
    private volatile String problem;

    /** When following began: events older than this are history. */
    private volatile long startedAt;

    TopicFollower(
            WorkerConfig.Kafka kafka,
            String clientId,
            ConsoleJobs jobs,
            FleetView fleet,
            LongSupplier clock) {
        Map<String, Object> c = new HashMap<>(kafka.clientProperties());
        c.put("bootstrap.servers", kafka.bootstrapServers());
        c.put("client.id", clientId + "-console");
        c.put("enable.auto.commit", "false");
        c.put("allow.auto.create.topics", "false");
        c.remove("group.id");
        c.remove("group.protocol");
        this.config = Map.copyOf(c);
        this.resultsTopic = kafka.resultsTopic();
        this.eventsTopic = kafka.eventsTopic();
        this.attemptsTopic = kafka.attemptsTopic();
        this.jobs = jobs;
        this.fleet = fleet;
        this.clock = clock;
    }

    /**
     * Starts the thread; the future completes once the partitions found are positioned at their
     * ends, so that nothing produced after it is missed.
     */
    CompletableFuture<Void> start() {
        thread = new Thread(this::follow, "lama-console-follower");
        thread.setDaemon(true);
        thread.start();
        return positioned;
    }

    private List<String> topics() {
        List<String> topics = new ArrayList<>(List.of(resultsTopic, eventsTopic));
        if (attemptsTopic != null) {
            topics.add(attemptsTopic);
        }
        return topics;
    }

    private void follow() {
        startedAt = clock.getAsLong();
        try {
            consumer =
                    new KafkaConsumer<>(
                            config, new StringDeserializer(), new ByteArrayDeserializer());
            Set<TopicPartition> assigned = new HashSet<>();
            refresh(assigned, true);
            positioned.complete(null);
            long nextRefresh = clock.getAsLong() + REFRESH_MILLIS;
            while (!closed) {
                for (ConsumerRecord<String, byte[]> record :
                        consumer.poll(Duration.ofMillis(500))) {
                    take(record);
                }
                if (clock.getAsLong() >= nextRefresh) {
                    refresh(assigned, false);
                    nextRefresh = clock.getAsLong() + REFRESH_MILLIS;
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("The console stopped reading the topics: {}", e.toString());
            problem = e.getClass().getSimpleName();
            positioned.completeExceptionally(e);
        } finally {
            positioned.complete(null);
            KafkaConsumer<String, byte[]> c = consumer;
            if (c != null) {
                c.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            }
        }
    }

    /**
     * Assigns partitions not assigned yet: at their end on the first call, from their beginning
     * after (they are new since the start). A broker that does not answer is asked again later.
     */
    private void refresh(Set<TopicPartition> assigned, boolean first) {
        List<TopicPartition> found = new ArrayList<>();
        for (String topic : topics()) {
            try {
                for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(5))) {
                    TopicPartition partition = new TopicPartition(topic, info.partition());
                    if (!assigned.contains(partition)) {
                        found.add(partition);
                    }
                }
            } catch (org.apache.kafka.common.KafkaException e) {
                // Not there yet, or the broker does not answer: asked again at the next refresh.
                LOG.debug("No partitions of {} yet: {}", topic, e.toString());
            }
        }
        if (found.isEmpty()) {
            return;
        }
        assigned.addAll(found);
        consumer.assign(assigned);
        if (first) {
            consumer.seekToEnd(found);
            // The fleet view starts with the workers of the last ten minutes, not empty: the
            // events topic is read back from then (the others only from now on).
            Map<TopicPartition, Long> since = new HashMap<>();
            for (TopicPartition partition : found) {
                if (partition.topic().equals(eventsTopic)) {
                    since.put(partition, startedAt - FleetView.WORKER_WINDOW_MILLIS);
                }
            }
            if (!since.isEmpty()) {
                try {
                    consumer.offsetsForTimes(since, Duration.ofSeconds(10))
                            .forEach(
                                    (partition, offset) -> {
                                        if (offset != null) {
                                            consumer.seek(partition, offset.offset());
                                        }
                                    });
                } catch (org.apache.kafka.common.KafkaException e) {
                    // The history is a nicety: without it the view fills from now on.
                    LOG.warn("The console could not read back the last events: {}", e.toString());
                }
            }
        } else {
            consumer.seekToBeginning(found);
        }
        // Resolve the positions now, so that records produced from here on are all read.
        for (TopicPartition partition : found) {
            consumer.position(partition, Duration.ofSeconds(10));
        }
    }

    private void take(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null || record.value() == null) {
            return;
        }
        try {
            if (record.topic().equals(resultsTopic)) {
                jobs.finished(JsonCodec.decodeResult(record.value()), clock.getAsLong());
            } else if (record.topic().equals(eventsTopic)) {
                LatencyEvent event = JsonCodec.decodeEvent(record.value());
                fleet.event(event, record.timestamp() < startedAt);
                jobs.ranOn(event.jobId(), event.workerId());
            } else if (record.topic().equals(attemptsTopic)
                    && jobs.knows(record.key())
                    && StartRecord.decode(record.value()).running()) {
                jobs.started(record.key(), clock.getAsLong());
            }
        } catch (RuntimeException e) {
            // Someone else's record, or a newer version's: not the console's to stop on.
            LOG.debug(
                    "Skipping an unreadable record of {} at {}: {}",
                    record.topic(),
                    record.offset(),
                    e.getMessage());
        }
    }

    /**
     * Why the console stopped reading the topics (the exception's class: its message may name
     * servers), or {@code null} while it reads them.
     */
    String problem() {
        return problem;
    }

    /** Stops the thread, which closes the consumer. */
    void close() {
        closed = true;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
