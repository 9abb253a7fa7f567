package org.lamaworker.worker.testing;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a topic from the beginning and collects records by key, for assertions. */
public final class ResultsReader<T> implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final Function<byte[], T> decoder;
    private final Map<String, List<T>> byKey = new HashMap<>();

    /** Reads every partition of {@code topic} from offset 0. */
    public ResultsReader(String bootstrapServers, String topic, Function<byte[], T> decoder) {
        Properties config = new Properties();
        config.put("bootstrap.servers", bootstrapServers);
        config.put("enable.auto.commit", "false");
        this.consumer =
                new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
        this.decoder = decoder;
        List<TopicPartition> partitions =
                consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                        .map(p -> new TopicPartition(topic, p.partition()))
                        .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** Skips what the topic holds now: only records produced from here on are read. */
    public ResultsReader<T> fromNow() {
        java.util.Set<TopicPartition> partitions = consumer.assignment();
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolves the lazy seek now
        return this;
    }

    /** Polls until every key has at least one record, or fails after {@code timeout}. */
    public Map<String, T> await(Set<String> keys, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!byKey.keySet().containsAll(keys)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(
                        "no record for "
                                + keys.stream().filter(k -> !byKey.containsKey(k)).toList()
                                + " within "
                                + timeout);
            }
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                byKey.computeIfAbsent(record.key(), k -> new java.util.ArrayList<>())
                        .add(decoder.apply(record.value()));
            }
        }
        Map<String, T> first = new HashMap<>();
        keys.forEach(k -> first.put(k, byKey.get(k).get(0)));
        return first;
    }

    /** Every record seen so far for a key. */
    public List<T> all(String key) {
        return byKey.getOrDefault(key, List.of());
    }

    @Override
    public void close() {
        consumer.close(
                org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
    }
}
